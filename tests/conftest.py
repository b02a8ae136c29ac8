"""Factories shared by every test folder: the service's task records and envelopes."""

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def task_record() -> Callable[..., dict[str, Any]]:
    """A task record as the service sends it, with any field overridden."""

    def make(**overrides: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "task_id": "829491712786825227",
            "task_status": "submitted",
            "task_status_msg": "",
            "task_info": {},
            "task_result": {},
            "created_at": 1732441200000,
            "updated_at": 1732441200000,
        }
        record.update(overrides)
        return record

    return make


@pytest.fixture
def envelope(task_record) -> Callable[..., dict[str, Any]]:
    """A success envelope around a task record."""

    def make(code: Any = 0, **record: Any) -> dict[str, Any]:
        return {
            "code": code,
            "message": "SUCCEED",
            "request_id": "req-1",
            "data": task_record(**record),
        }

    return make
