"""Factories for the SDK tests: finished tasks, real images, a fake clock, and clients.

``client`` is parametrised over the blocking and the async client: both are
driven through the same small facade, so one test proves both behave alike.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from PIL import Image

from kling_expand import AsyncExpandResult, AsyncKlingExpand, KlingExpand

BASE_URL = "https://kling.test"
API_KEY = "sk-test-0123456789abcdef"
CREATE_URL = f"{BASE_URL}/kling/v1/images/editing/expand"


def undecodable(request: httpx.Request) -> httpx.Response:
    """An answer that says it is gzip and is not: httpx fails while decoding it."""
    stream = httpx.ByteStream(b"not gzip at all")
    return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=stream)


@pytest.fixture
def succeeded(envelope) -> Callable[..., dict[str, Any]]:
    """A finished task's envelope with ``n`` result images on ``host``."""

    def make(task_id: str = "task-1", n: int = 1, host: str = "https://cdn.test") -> dict[str, Any]:
        images = [{"index": i, "url": f"{host}/{task_id}/{i}.png"} for i in range(n)]
        return envelope(task_id=task_id, task_status="succeed", task_result={"images": images})

    return make


@pytest.fixture
def make_image() -> Callable[..., bytes]:
    """A real, photo-like image (gradient plus noise) encoded as PNG or JPEG."""

    def make(width: int = 640, height: int = 480, fmt: str = "PNG") -> bytes:
        rng = random.Random(width * 7919 + height)
        image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
        noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        image = Image.blend(image, noise, 0.2)
        buffer = io.BytesIO()
        image.save(buffer, format=fmt)
        return buffer.getvalue()

    return make


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    """respx in front of every httpx transport; anything unmatched is an error."""
    with respx.mock(assert_all_called=False) as mock_router:
        yield mock_router


class AsyncFacade:
    """Drives an async client from a test as if it were blocking, on one event loop."""

    def __init__(self, target: Any, runner: asyncio.Runner) -> None:
        self._target = target
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if inspect.isasyncgenfunction(attribute):
            return lambda *a, **k: self._runner.run(_collect(attribute(*a, **k)))
        if inspect.iscoroutinefunction(attribute):
            return lambda *a, **k: self._wrap(self._runner.run(attribute(*a, **k)))
        if callable(attribute) and name == "with_options":
            return lambda *a, **k: self._wrap(attribute(*a, **k))
        return attribute

    def _wrap(self, value: Any) -> Any:
        if isinstance(value, AsyncExpandResult | AsyncKlingExpand):
            return AsyncFacade(value, self._runner)
        return value


class SyncFacade:
    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name == "list":
            return lambda *a, **k: list(attribute(*a, **k))
        return attribute


async def _collect(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


@pytest.fixture(params=["sync", "async"])
def client_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """The one event loop a test's async clients (and their httpx clients) run on."""
    with asyncio.Runner() as loop:
        yield loop


@pytest.fixture
def make_http(client_kind: str, runner: asyncio.Runner) -> Iterator[Callable[..., Any]]:
    """Build the caller's own httpx client of the kind ``client_kind`` takes; closed after."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        kind = httpx.Client if client_kind == "sync" else httpx.AsyncClient
        http: Any = kind(**options)
        made.append(http)
        return http

    yield make
    for http in made:
        if isinstance(http, httpx.AsyncClient):
            runner.run(http.aclose())
        else:
            http.close()


@pytest.fixture
def make_client(client_kind: str, clock, runner: asyncio.Runner) -> Iterator[Callable[..., Any]]:
    """Build a sync or async client (per ``client_kind``) behind the same facade."""
    made: list[Any] = []

    def make(**overrides: Any) -> Any:
        options: dict[str, Any] = {
            "api_key": API_KEY,
            "base_url": BASE_URL,
            "clock": clock,
            "rand": lambda: 0.0,
        }
        options.update(overrides)
        if client_kind == "sync":
            client: Any = KlingExpand(**options)
            made.append(client.close)
            return SyncFacade(client)
        client = AsyncKlingExpand(**options)
        made.append(lambda: runner.run(client.aclose()))
        return AsyncFacade(client, runner)

    yield make
    for close in made:
        close()


@pytest.fixture
def client(make_client: Callable[..., Any]) -> Any:
    return make_client()
