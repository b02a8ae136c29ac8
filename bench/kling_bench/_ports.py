"""Loopback ports: pick a free one, and wait until a server listens on it.

Servers under test bind only to loopback, on a port the operating system
reports free, so two runs (or a run next to a test suite) never collide.

>>> port = pick_free_port()
>>> 1024 <= port <= 65535
True
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

LOOPBACK = "127.0.0.1"


class ServerNotListening(RuntimeError):
    """The server did not accept connections in time, or its process ended first."""


def pick_free_port(host: str = LOOPBACK) -> int:
    """A TCP port on ``host`` that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def accepts_connections(host: str, port: int, timeout_s: float = 0.2) -> bool:
    """Whether a TCP connection to ``host:port`` succeeds now."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def wait_for_port(
    host: str,
    port: int,
    *,
    timeout_s: float,
    still_running: Callable[[], bool],
    probe: Callable[[str, int], bool] = accepts_connections,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    interval_s: float = 0.05,
) -> None:
    """Return once ``host:port`` accepts connections; raise :class:`ServerNotListening`
    when ``still_running()`` turns false or ``timeout_s`` passes first."""
    deadline = clock() + timeout_s
    while True:
        if probe(host, port):
            return
        if not still_running():
            raise ServerNotListening(f"the server exited before listening on {host}:{port}")
        if clock() >= deadline:
            raise ServerNotListening(f"nothing listened on {host}:{port} within {timeout_s:g} s")
        sleep(interval_s)
