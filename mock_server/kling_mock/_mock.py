"""The Python API: one object holding the app, its clock, journal and deliveries."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx
from starlette.applications import Starlette

from ._app import create_app
from ._callbacks import Delivery
from ._clock import MockClock
from ._config import DEFAULT_DEV_KEY, MockConfig
from ._faults import POLICY_BLOCK, TASK_FAILS
from ._journal import JournalEntry
from ._server import ServerThread
from ._service import MockService

if TYPE_CHECKING:
    from kling_expand import AsyncKlingExpand, KlingExpand

IN_PROCESS_BASE_URL = "http://kling-mock.local"


class InProcessTransport(httpx.BaseTransport):
    """A sync httpx transport that calls an ASGI app in process, on its own event loop thread.

    The sync twin of httpx.ASGITransport: no socket, no server.
    """

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        # A daemon thread: a client its caller never closes must not keep the process
        # from exiting (a worker thread, as anyio's blocking portal uses, would).
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="kling-mock-in-process", daemon=True
        )
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def call() -> httpx.Response:
            forwarded = httpx.Request(
                request.method, request.url, headers=request.headers, content=content
            )
            response = await self._asgi.handle_async_request(forwarded)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()


class MockKling:
    """An offline Kling image-expansion service, in process.

    Drive it through :attr:`app` (httpx.ASGITransport or :meth:`serve`), move its
    clock with :meth:`advance` (tasks progress and due callbacks are sent), and
    inspect what clients sent with :attr:`journal`.

    >>> import asyncio
    >>> mock = MockKling()
    >>> async def create():
    ...     async with mock.async_client() as client:
    ...         body = {"image": "https://example.com/a.jpg", "up_expansion_ratio": 0.2,
    ...                 "down_expansion_ratio": 0, "left_expansion_ratio": 0,
    ...                 "right_expansion_ratio": 0}
    ...         task = (await client.post("/kling/v1/images/editing/expand", json=body)).json()
    ...         mock.advance(60)
    ...         url = "/kling/v1/images/editing/expand/" + task["data"]["task_id"]
    ...         return (await client.get(url)).json()["data"]["task_status"]
    >>> asyncio.run(create())
    'succeed'
    """

    def __init__(
        self,
        config: MockConfig | None = None,
        *,
        spec: Mapping[str, Any] | None = None,
        fetch_transport: httpx.AsyncBaseTransport | None = None,
        callback_transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.service = MockService(
            config,
            spec=spec,
            fetch_transport=fetch_transport,
            callback_transport=callback_transport,
        )
        self.app: Starlette = create_app(service=self.service)
        # An SDK waiting on this clock makes due callbacks go out, as advance() does.
        self.clock.on_sleep(self.service.deliver_due, self.service.deliver_due_async)

    @property
    def config(self) -> MockConfig:
        return self.service.config

    @property
    def clock(self) -> MockClock:
        return self.service.clock

    @property
    def journal(self) -> list[JournalEntry]:
        """Every API request received so far (bounded), oldest first, keys redacted."""
        return self.service.journal.entries()

    @property
    def deliveries(self) -> list[Delivery]:
        """Every callback delivery so far (bounded), with its attempts."""
        return self.service.callbacks.deliveries()

    def advance(self, seconds: float) -> int:
        """Move the clock forward and send the callbacks now due; returns the attempts made."""
        self.clock.advance(seconds)
        return self.service.deliver_due()

    async def advance_async(self, seconds: float) -> int:
        """:meth:`advance`, sending callbacks without blocking the event loop."""
        self.clock.advance(seconds)
        return await self.service.deliver_due_async()

    def fail_next(self, scenario: str, times: int = 1) -> None:
        """Apply a fault scenario to the next ``times`` API requests."""
        self.service.faults.queue(scenario, times)

    def fail_next_create(self, scenario: str = POLICY_BLOCK, times: int = 1) -> None:
        """Refuse the next ``times`` creates: by content policy (400/1301) by default,
        or by any scenario of :data:`SCENARIOS` (``"unavailable"``, ``"server_error"`` ...).
        Other requests pass."""
        self.service.faults.queue(scenario, times)

    def fail_task(self, times: int = 1) -> None:
        """The next ``times`` tasks are accepted and later end ``failed``."""
        self.service.faults.queue(TASK_FAILS, times)

    def rate_limit(self, requests: int = 1) -> None:
        """Answer the next ``requests`` API requests 429/1302 (with ``Retry-After``)."""
        self.service.faults.queue("rate_limited", requests)

    def signed_callback(self, index: int = -1) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a callback the mock sent (the latest by default), as a
        receiver gets them: signed with ``MockConfig.callback_secret`` when one is set, and
        stamped now, so a receiver's clock check passes. Feed them to your webhook handler."""
        delivery = self.deliveries[index]
        return delivery.payload, self.service.callbacks.headers(delivery, time.time())

    def reset(self) -> None:
        """Forget tasks, external ids, journal, deliveries, cached results, queued faults
        and fault rates, and put the clock back where it started."""
        self.service.reset()
        self.clock.reset()

    def headers(self, api_key: str = DEFAULT_DEV_KEY) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"}

    def client(self, api_key: str | None = DEFAULT_DEV_KEY, **kwargs: Any) -> httpx.Client:
        """An httpx.Client calling the app in process (no socket), authenticated."""
        headers = self.headers(api_key) if api_key is not None else {}
        return httpx.Client(
            transport=InProcessTransport(self.app),
            base_url=IN_PROCESS_BASE_URL,
            headers=headers,
            **kwargs,
        )

    def async_client(
        self, api_key: str | None = DEFAULT_DEV_KEY, **kwargs: Any
    ) -> httpx.AsyncClient:
        """An httpx.AsyncClient calling the app in process (no socket), authenticated."""
        headers = self.headers(api_key) if api_key is not None else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url=IN_PROCESS_BASE_URL,
            headers=headers,
            **kwargs,
        )

    def sdk_client(
        self, api_key: str = DEFAULT_DEV_KEY, *, base_url: str | None = None, **config: Any
    ) -> KlingExpand:
        """A ``kling_expand.KlingExpand`` on this mock, keyed, on its clock: the SDK's
        waits move the mock's time instead of sleeping. In process (no socket), or over
        HTTP when ``base_url`` names a server from :meth:`serve`.

        >>> mock = MockKling()
        >>> start = mock.clock.now()
        >>> with mock.sdk_client() as sdk:
        ...     result = sdk.expand("https://example.com/a.jpg", up=0.2)
        >>> result.task.status.value, mock.clock.now() - start >= 4
        ('succeed', True)
        """
        from kling_expand import KlingExpand

        config.setdefault("clock", self.clock)
        if base_url is not None:
            return KlingExpand(api_key=api_key, base_url=base_url, **config)
        return KlingExpand(
            api_key=api_key,
            base_url=IN_PROCESS_BASE_URL,
            transport=InProcessTransport(self.app),
            **config,
        )

    def async_sdk_client(
        self, api_key: str = DEFAULT_DEV_KEY, *, base_url: str | None = None, **config: Any
    ) -> AsyncKlingExpand:
        """The async twin of :meth:`sdk_client` (``kling_expand.AsyncKlingExpand``)."""
        from kling_expand import AsyncKlingExpand

        config.setdefault("clock", self.clock)
        if base_url is not None:
            return AsyncKlingExpand(api_key=api_key, base_url=base_url, **config)
        return AsyncKlingExpand(
            api_key=api_key,
            base_url=IN_PROCESS_BASE_URL,
            transport=httpx.ASGITransport(app=self.app),
            **config,
        )

    def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
    ) -> ServerThread:
        """A real HTTP server for this mock (use as a context manager); see ``base_url``.

        With ``ssl_certfile`` and ``ssl_keyfile`` it serves HTTPS (``kling_mock._tls``
        makes a certificate a client can trust through its CA file).
        """
        return ServerThread(
            self.app, host, port, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile
        )
