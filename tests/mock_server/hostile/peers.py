"""Hostile peers on loopback: real sockets that are slow, silent or lying.

Every peer here is bounded: each socket operation has a timeout, every server
binds 127.0.0.1 and is stopped (its threads joined) when its ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from kling_mock import DEFAULT_DEV_KEY, MockKling, ServerThread
from kling_spec import CREATE_PATH

HOST = "127.0.0.1"
#: No socket operation in this suite waits longer than this.
SOCKET_SECONDS = 15.0


class _Peer:
    """A threaded TCP server on loopback whose handlers stop when the peer does."""

    def __init__(self, handler: type[socketserver.BaseRequestHandler]) -> None:
        self.stopping = threading.Event()
        self.connections = 0
        self._server = socketserver.ThreadingTCPServer((HOST, 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = True  # server_close() joins every handler
        self._server.peer = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def __enter__(self) -> _Peer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._thread.join(SOCKET_SECONDS)
        self._server.server_close()


class _PeerHandler(socketserver.BaseRequestHandler):
    @property
    def peer(self) -> _Peer:
        peer: _Peer = self.server.peer  # type: ignore[attr-defined]
        return peer

    def setup(self) -> None:
        self.peer.connections += 1
        self.request.settimeout(0.2)

    def read_request(self) -> None:
        """Read one request's head and body (as far as it comes), until the peer stops."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.receive()
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = self.receive()
            if not chunk:
                return
            body += chunk

    def receive(self) -> bytes:
        """The next bytes from the client; empty once it or the peer is gone."""
        while not self.peer.stopping.is_set():
            try:
                return bytes(self.request.recv(65536))
            except TimeoutError:
                continue
            except OSError:
                return b""
        return b""


class _Silent(_PeerHandler):
    def handle(self) -> None:
        self.read_request()
        self.peer.stopping.wait(SOCKET_SECONDS * 4)  # never answers; closed when stopped


class _Dripping(_PeerHandler):
    def handle(self) -> None:
        self.read_request()
        answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        interval: float = self.server.drip_seconds  # type: ignore[attr-defined]
        for index in range(len(answer)):
            if self.peer.stopping.wait(interval):
                return
            try:
                self.request.sendall(answer[index : index + 1])
            except OSError:
                return


class HangingReceiver(_Peer):
    """Accepts connections and reads what is sent, but never answers."""

    def __init__(self) -> None:
        super().__init__(_Silent)


class DrippingReceiver(_Peer):
    """Answers 200, one byte every ``drip_seconds`` (about 20 s for the whole answer)."""

    def __init__(self, drip_seconds: float = 0.5) -> None:
        super().__init__(_Dripping)
        self._server.drip_seconds = drip_seconds  # type: ignore[attr-defined]


@dataclass
class HealthyReceiver:
    """Answers 204 at once and notes when each callback arrived (``time.monotonic``)."""

    arrivals: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            timeout = SOCKET_SECONDS

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.arrivals.append((time.monotonic(), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def __enter__(self) -> HealthyReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._thread.join(SOCKET_SECONDS)
        self._server.server_close()


@contextlib.contextmanager
def served(mock: MockKling, **options: Any) -> Iterator[ServerThread]:
    """``mock`` served over real HTTP on loopback (ServerThread options pass through)."""
    with ServerThread(mock.app, HOST, **options) as server:
        yield server


def connect(port: int, timeout: float = SOCKET_SECONDS) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=timeout)


def request_head(declared: int, path: str = CREATE_PATH, api_key: str = DEFAULT_DEV_KEY) -> bytes:
    """The head of a JSON POST that declares ``declared`` body bytes."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    ).encode()


def stalled_upload(port: int, declared: int = 5_000_000, sent: bytes = b"{") -> socket.socket:
    """A connection that declares ``declared`` body bytes, sends ``sent`` and stops."""
    sock = connect(port)
    sock.sendall(request_head(declared) + sent)
    return sock


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    seconds: float  # from the call to read_answer until the answer was complete


def read_answer(sock: socket.socket, timeout: float = SOCKET_SECONDS) -> Answer:
    """Wait (at most ``timeout``) for the HTTP answer on ``sock``."""
    start = time.monotonic()
    sock.settimeout(timeout)
    response = http.client.HTTPResponse(sock)
    try:
        response.begin()
        raw = response.read()
    finally:
        response.close()
    body = json.loads(raw) if raw else {}
    return Answer(response.status, body, time.monotonic() - start)


def wait_until(condition: Any, timeout: float, step: float = 0.02) -> bool:
    """Poll ``condition()`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())
