from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kling_mock import DEFAULT_DEV_KEY, MockKling

from ..sdk_calls import ASYNC, SYNC, SdkCaller
from .mocking import IN_PROCESS_URL, MockDrivenClock, never_fetch


@pytest.fixture
def make_mock() -> Callable[..., MockKling]:
    """A fresh in-process mock reading ``spec`` (default: the resolved spec)."""

    def make(spec: dict[str, Any] | None = None) -> MockKling:
        return MockKling(spec=spec, fetch_transport=httpx.MockTransport(never_fetch))

    return make


def sdk_for(kind: str, mock: MockKling, spec: dict[str, Any] | None = None) -> SdkCaller:
    """The SDK of ``kind`` (sync or async) talking to ``mock`` in process, reading ``spec``."""
    config: dict[str, Any] = {
        "api_key": DEFAULT_DEV_KEY,
        "base_url": IN_PROCESS_URL,
        "max_retries": 0,
        "clock": MockDrivenClock(mock),
    }
    if spec is not None:
        config["spec"] = spec
    return SdkCaller(kind, config, mock.client, mock.async_client)


@pytest.fixture(params=[SYNC, ASYNC])
def make_sdk(request) -> Callable[..., SdkCaller]:
    """The SDK (sync, then async) talking to ``mock`` in process, reading ``spec``."""

    def make(mock: MockKling, spec: dict[str, Any] | None = None) -> SdkCaller:
        return sdk_for(request.param, mock, spec)

    return make
