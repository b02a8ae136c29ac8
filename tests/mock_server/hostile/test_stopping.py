"""Told to stop, the mock stops within seconds, whatever a stalled peer does."""

import signal
import socket
import subprocess
import sys
import time

import httpx

from kling_mock import MockKling, ServerThread

from .peers import HOST, SOCKET_SECONDS, stalled_upload, wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_exits_soon_after_sigterm_with_a_stalled_upload(tmp_path) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "kling_mock", "serve", "--host", HOST, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_until(lambda: answers(f"http://{HOST}:{port}/openapi.json"), 30, 0.2)
        with stalled_upload(port):  # the default body timeout is 10 s
            time.sleep(0.3)  # the request is being read
            start = time.monotonic()
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=SOCKET_SECONDS)
            took = time.monotonic() - start
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(SOCKET_SECONDS)
        log.close()

    # uvicorn shuts down, then re-raises the signal: the exit status says SIGTERM.
    assert code in (0, -signal.SIGTERM), code
    assert "Application shutdown complete" in (tmp_path / "serve.log").read_text()
    assert took < 7, took  # shutdown waits 3 s for requests in flight, not the 10 s body timeout


def test_server_thread_stop_returns_within_seconds_with_a_stalled_upload(mock: MockKling) -> None:
    server = ServerThread(mock.app, HOST, shutdown_seconds=1)
    server.start()
    with stalled_upload(server.port) as stalled:
        time.sleep(0.3)
        start = time.monotonic()
        server.stop()
        took = time.monotonic() - start
        stalled.settimeout(SOCKET_SECONDS)
        left = b"".join(iter(lambda: stalled.recv(65536), b""))  # until the server closes

    # cut off (uvicorn answers a request it cancels at shutdown 500), not left hanging
    assert left == b"" or left.startswith(b"HTTP/1.1 500 ")
    assert took < 1 + 3, took  # not the 10 s body timeout
