"""Serving the mock with uvicorn: one server configuration for the command line and tests.

Both ``kling-mock serve`` and :class:`ServerThread` take their uvicorn settings from
:func:`server_config`, so what protects one protects the other: a connection that
does not finish sending its request head within ``idle_seconds`` is closed (uvicorn
times out only idle keep-alive connections, not ones that never sent a request), and
a shutdown waits at most ``shutdown_seconds`` for requests in flight, whatever the
peers do.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: How long a connection may take to send a request's head (also the keep-alive timeout).
IDLE_SECONDS = 5.0
#: How long stopping waits for requests in flight before cancelling them.
SHUTDOWN_SECONDS = 3.0


class _HeadDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on each request's head.

    The timer starts when the connection opens and again when a response is
    complete, and stops when a request's headers are complete: a peer that opens
    connections and sends nothing, or a header a byte at a time, is closed after
    ``timeout_keep_alive`` seconds.
    """

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.timeout_keep_alive, self._head_overdue)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        waiting_for_a_request = self.cycle is None or self.cycle.response_complete
        if waiting_for_a_request and not self.transport.is_closing():
            self.transport.close()


def server_config(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    idle_seconds: float = IDLE_SECONDS,
    shutdown_seconds: float = SHUTDOWN_SECONDS,
    **uvicorn_options: Any,
) -> uvicorn.Config:
    """The uvicorn configuration the mock is served with (extra options go to uvicorn).

    >>> from kling_mock import create_app
    >>> server_config(create_app(), idle_seconds=2).timeout_keep_alive
    2
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        http=_HeadDeadlineProtocol,
        # uvicorn takes whole seconds here; round up so a short idle time is not zero.
        timeout_keep_alive=max(1, int(-(-idle_seconds // 1))),
        timeout_graceful_shutdown=max(1, int(-(-shutdown_seconds // 1))),
        **uvicorn_options,
    )


class ServerThread:
    """Serve ``app`` over real HTTP on ``host`` (an ephemeral port by default).

    The socket is listening before the thread starts, so a client can connect at
    once: its connection waits in the backlog until uvicorn accepts it. ``stop()``
    returns within about ``shutdown_seconds`` even while peers hold requests open.

    >>> import httpx
    >>> from kling_mock import create_app
    >>> with ServerThread(create_app()) as server:
    ...     httpx.get(server.base_url + "/openapi.json").status_code
    200
    """

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        idle_seconds: float = IDLE_SECONDS,
        shutdown_seconds: float = SHUTDOWN_SECONDS,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.idle_seconds = idle_seconds
        self.shutdown_seconds = shutdown_seconds
        #: HTTPS when both are given (see ``kling_mock._tls`` for a certificate).
        self.ssl_certfile = ssl_certfile
        self.ssl_keyfile = ssl_keyfile
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.ssl_certfile else "http"
        return f"{scheme}://{host}:{self.port}"

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        config = server_config(
            self.app,
            host=self.host,
            port=self.port,
            idle_seconds=self.idle_seconds,
            shutdown_seconds=self.shutdown_seconds,
            ssl_certfile=self.ssl_certfile,
            ssl_keyfile=self.ssl_keyfile,
        )
        self._server = uvicorn.Server(config)
        self._socket = sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="kling-mock", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving: in-flight requests get ``shutdown_seconds``, then are cancelled."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(self.shutdown_seconds + 2)
            if self._thread.is_alive():  # a peer still holds on: leave it behind
                self._server.force_exit = True
                self._thread.join(2)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
