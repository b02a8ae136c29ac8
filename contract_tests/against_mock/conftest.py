from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from kling_mock import DEFAULT_DEV_KEY, MockKling, ServerThread

from ..sdk_calls import ASYNC, SYNC, SdkCaller

# Any host will do: the in-process transports never resolve it.
IN_PROCESS_URL = "http://kling-mock.test"


class MockDrivenClock:
    """The SDK's clock, moved by the mock's: waiting advances the mock instead of sleeping."""

    def __init__(self, mock: MockKling) -> None:
        self.mock = mock
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.mock.clock.now()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.mock.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await self.mock.advance_async(seconds)


def never_fetch(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the mock tried to fetch {request.url} during a contract test")


@pytest.fixture
def make_mock() -> Callable[..., MockKling]:
    """A fresh in-process mock reading ``spec`` (default: the resolved spec)."""

    def make(spec: dict[str, Any] | None = None) -> MockKling:
        return MockKling(spec=spec, fetch_transport=httpx.MockTransport(never_fetch))

    return make


@pytest.fixture(scope="module")
def make_module_mock() -> Callable[..., MockKling]:
    return lambda: MockKling(fetch_transport=httpx.MockTransport(never_fetch))


def last_seq(mock: MockKling) -> int:
    """The number of API requests the mock has received (its journal is bounded, not this)."""
    journal = mock.journal
    return journal[-1].seq if journal else 0


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


@pytest.fixture(scope="module")
def serve_on_loopback() -> Iterator[Callable[[Any], str]]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (an ephemeral port); returns its base URL."""
    servers: list[ServerThread] = []

    def serve(app: Any) -> str:
        server = ServerThread(app, host="127.0.0.1")
        server.start()
        servers.append(server)
        return server.base_url

    yield serve
    for server in servers:
        server.stop()
