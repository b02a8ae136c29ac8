from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from kling_bench import LiveServer, default_servers, running
from kling_bench._sdk_overhead import serve_in_thread
from kling_bench._wrk import ErrorCounts, WrkSummary


@pytest.fixture
def serve_app() -> Callable[[Any], AbstractContextManager[str]]:
    """Serve an ASGI app on a free loopback port in a thread: ``with serve_app(app) as url``."""
    return serve_in_thread


@pytest.fixture(scope="module")
def ceiling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The ceiling app in its own process, started the way a benchmark starts it."""
    log_dir = tmp_path_factory.mktemp("logs")
    with running(default_servers()["ceiling"], log_dir=log_dir) as live:
        yield live


@pytest.fixture
def make_summary() -> Callable[..., WrkSummary]:
    """A wrk summary with the figures a test cares about, the rest plausible."""

    def make(
        requests_per_s: float = 1000.0,
        *,
        p50_ms: float = 1.0,
        p99_ms: float = 5.0,
        status_errors: int = 0,
    ) -> WrkSummary:
        return WrkSummary(
            duration_s=2.0,
            requests=round(requests_per_s * 2),
            errors=ErrorCounts(status=status_errors),
            p50_ms=p50_ms,
            p90_ms=p99_ms,
            p99_ms=p99_ms,
            mean_ms=p50_ms,
            max_ms=p99_ms * 2,
        )

    return make


@pytest.fixture
def lua_dir() -> Path:
    from kling_bench._wrk import LUA_DIR

    return LUA_DIR


class FakeClock:
    """Time that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock to pass as ``clock=`` with its ``sleep`` as ``sleep=``: no real waiting."""
    return FakeClock()
