from collections.abc import Callable, Iterable
from typing import Any

import httpx
import pytest

from kling_mock import DEFAULT_DEV_KEY, MockKling

from ..sdk_calls import ASYNC, SYNC, SdkCaller
from ..spec_variants import AS_PUBLISHED, SpecChange
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


def on_each_spec_copy(changes: Iterable[SpecChange]) -> pytest.MarkDecorator:
    """Parametrise ``(change, kind)``: each spec copy through the sync SDK, and the published
    spec through the async one too. Both clients prepare, check and plan a request with the
    same code; only the driver differs, so one client per copy keeps costly properties quick
    while both still meet the published spec."""
    runs = [(AS_PUBLISHED, ASYNC), *((change, SYNC) for change in changes)]
    return pytest.mark.parametrize(
        ("change", "kind"), runs, ids=[f"{change.id}-{kind}" for change, kind in runs]
    )
