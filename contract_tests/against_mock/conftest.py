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


@pytest.fixture(params=[SYNC, ASYNC])
def make_sdk(request) -> Callable[..., SdkCaller]:
    """The SDK (sync, then async) talking to ``mock`` in process, reading ``spec``."""

    def make(mock: MockKling, spec: dict[str, Any] | None = None) -> SdkCaller:
        config: dict[str, Any] = {
            "api_key": DEFAULT_DEV_KEY,
            "base_url": IN_PROCESS_URL,
            "max_retries": 0,
            "clock": MockDrivenClock(mock),
        }
        if spec is not None:
            config["spec"] = spec
        return SdkCaller(request.param, config, mock.client, mock.async_client)

    return make
