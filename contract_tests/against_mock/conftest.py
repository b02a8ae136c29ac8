from collections.abc import Callable, Iterable
from typing import Any

import httpx
import pytest

from kling_mock import DEFAULT_DEV_ACCESS_KEY, DEFAULT_DEV_KEY, DEFAULT_DEV_SECRET_KEY, MockKling
from kling_spec import CREATE_PATH

from ..gateways import COMETAPI, KLING, credentials, gateway_path, kling_token
from ..sdk_calls import ASYNC, SYNC, SdkCaller
from ..spec_variants import AS_PUBLISHED, SpecChange
from .mocking import IN_PROCESS_URL, MockDrivenClock, never_fetch


@pytest.fixture
def make_mock() -> Callable[..., MockKling]:
    """A fresh in-process mock reading ``spec`` (default: the resolved spec)."""

    def make(spec: dict[str, Any] | None = None) -> MockKling:
        return MockKling(spec=spec, fetch_transport=httpx.MockTransport(never_fetch))

    return make


def dev_credentials(gateway: str) -> dict[str, str]:
    """The SDK's arguments for the mock's dev account on ``gateway``."""
    return credentials(
        gateway,
        api_key=DEFAULT_DEV_KEY,
        access_key=DEFAULT_DEV_ACCESS_KEY,
        secret_key=DEFAULT_DEV_SECRET_KEY,
    )


def raw_client(mock: MockKling, gateway: str = COMETAPI) -> httpx.Client:
    """An httpx client on ``mock`` in process, authenticated as its dev account on
    ``gateway`` (a Kling token made as Kling documents it, at the mock's time)."""
    if gateway == COMETAPI:
        return mock.client()
    token = kling_token(DEFAULT_DEV_ACCESS_KEY, DEFAULT_DEV_SECRET_KEY, now=mock.clock.now())
    http = mock.client(api_key=None)
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def create_path_on(gateway: str) -> str:
    return gateway_path(CREATE_PATH, gateway)


def sdk_for(
    kind: str, mock: MockKling, spec: dict[str, Any] | None = None, gateway: str = COMETAPI
) -> SdkCaller:
    """The SDK of ``kind`` (sync or async) talking to ``mock`` in process on ``gateway``,
    reading ``spec``."""
    config: dict[str, Any] = {
        **dev_credentials(gateway),
        "base_url": IN_PROCESS_URL,
        "max_retries": 0,
        "clock": MockDrivenClock(mock),
    }
    if spec is not None:
        config["spec"] = spec
    # On Kling's gateway the SDK's own token, not the dev key, authenticates.
    key = DEFAULT_DEV_KEY if gateway == COMETAPI else None

    def sync_http() -> httpx.Client:
        return mock.client(api_key=key)

    def async_http() -> httpx.AsyncClient:
        return mock.async_client(api_key=key)

    return SdkCaller(kind, config, sync_http, async_http, gateway=gateway)


@pytest.fixture(params=[(SYNC, COMETAPI), (ASYNC, COMETAPI), (SYNC, KLING)], ids="-".join)
def make_sdk(request) -> Callable[..., SdkCaller]:
    """The SDK (sync, then async; sync on Kling's gateway too) talking to ``mock`` in
    process, reading ``spec``."""

    def make(mock: MockKling, spec: dict[str, Any] | None = None) -> SdkCaller:
        kind, gateway = request.param
        return sdk_for(kind, mock, spec, gateway)

    return make


def on_each_spec_copy(changes: Iterable[SpecChange]) -> pytest.MarkDecorator:
    """Parametrise ``(change, kind, gateway)``: each spec copy through the sync SDK on
    CometAPI's gateway, and the published spec through the async one too and through both
    on Kling's gateway. Both clients prepare, check and plan a request with the same code;
    only the driver differs, and both gateways only in paths and authentication, so one
    client per copy keeps costly properties quick while every pairing still meets the
    published spec (Kling's runs with a share of the examples: ``example_budget``)."""
    runs = [
        (AS_PUBLISHED, ASYNC, COMETAPI),
        *((change, SYNC, COMETAPI) for change in changes),
        (AS_PUBLISHED, SYNC, KLING),
        (AS_PUBLISHED, ASYNC, KLING),
    ]
    ids = [
        f"{change.id}-{kind}" + ("" if gateway == COMETAPI else f"-{gateway}")
        for change, kind, gateway in runs
    ]
    return pytest.mark.parametrize(("change", "kind", "gateway"), runs, ids=ids)
