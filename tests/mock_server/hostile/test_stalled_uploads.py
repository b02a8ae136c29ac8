"""Stalled and lying uploads are answered and freed in time; waiting costs no CPU."""

import json
import socket
import time

import httpx

from kling_mock import MockConfig, MockKling
from kling_spec import CREATE_PATH

from ..conftest import AUTH, C, b64
from .peers import (
    SOCKET_SECONDS,
    connect,
    read_answer,
    request_head,
    served,
    stalled_upload,
    wait_until,
)

SLACK = 2.0
BODY_TIMEOUT = 1.0
#: creates from this size wait for a large-body slot (small, so a test upload is large)
LARGE = 64 * 1024


def uploads_mock(**config: object) -> MockKling:
    options: dict[str, object] = {
        "body_timeout_seconds": BODY_TIMEOUT,
        "max_concurrent_large_bodies": 2,
        "large_body_bytes": LARGE,
    }
    options.update(config)
    return MockKling(MockConfig(**options))  # type: ignore[arg-type]


def test_stalled_uploads_are_answered_408_and_a_large_create_then_succeeds(
    request_body, png
) -> None:
    mock = uploads_mock()
    slots = mock.config.max_concurrent_large_bodies
    with served(mock, shutdown_seconds=1) as server:
        stalled = [stalled_upload(server.port) for _ in range(2 * slots)]
        try:
            answers = [read_answer(sock) for sock in stalled]
        finally:
            for sock in stalled:
                sock.close()

        # two rounds of body_timeout_seconds: half wait for a slot the other half hold
        assert all(a.status == 408 and a.body["code"] == 1200 for a in answers), answers
        assert max(a.seconds for a in answers) < 2 * BODY_TIMEOUT + SLACK
        assert "body_timeout_seconds" in answers[0].body["message"]

        image = b64(png())
        assert len(image) > LARGE
        created = httpx.post(
            server.base_url + CREATE_PATH,
            json=request_body(**{C.image_field: image}),
            headers=AUTH,
            timeout=SOCKET_SECONDS,
        )
    assert created.status_code == 200, created.text
    assert mock.service.large_body_slots.free == slots


def test_a_content_length_larger_than_the_body_is_answered_408(request_body) -> None:
    mock = uploads_mock(large_body_bytes=1024 * 1024)  # a small body: it waits for no slot
    body = json.dumps(request_body()).encode()
    with served(mock, shutdown_seconds=1) as server, connect(server.port) as sock:
        sock.sendall(request_head(len(body) + 100) + body)
        answer = read_answer(sock)

    assert answer.status == 408 and answer.body["code"] == 1200
    assert answer.seconds < BODY_TIMEOUT + SLACK
    assert f"{len(body)} bytes of the {len(body) + 100} declared" in answer.body["message"]


def test_two_hundred_waiters_for_a_large_body_slot_burn_no_cpu() -> None:
    mock = uploads_mock(body_timeout_seconds=30)
    slots = mock.service.large_body_slots
    held = 0
    while slots.try_take():  # hold every slot by hand: every upload below must wait
        held += 1
    waiters: list[socket.socket] = []
    with served(mock, shutdown_seconds=1) as server:
        try:
            for _ in range(200):
                waiters.append(stalled_upload(server.port, declared=2 * LARGE))
            assert wait_until(lambda: slots.waiting == 200, 20), slots.waiting

            connected = cpu_seconds_over(1.0)
            for sock in waiters:
                sock.close()
            time.sleep(0.2)
            disconnected = cpu_seconds_over(1.0)
        finally:
            for sock in waiters:
                sock.close()
            for _ in range(held):
                slots.give_back()
        # the waiters whose clients left take their slot in turn and give it back
        assert wait_until(lambda: slots.waiting == 0 and slots.free == held, 10)

    # a 5 ms poll per waiter would take most of a core; sleeping waiters take ~nothing
    assert connected < 0.25, connected
    assert disconnected < 0.25, disconnected


def test_a_connection_that_never_sends_a_request_is_closed(mock: MockKling) -> None:
    with served(mock, idle_seconds=1, shutdown_seconds=1) as server:
        with connect(server.port) as silent, connect(server.port) as trickling:
            trickling.sendall(b"GET /openapi.json HTTP/1.1\r\n")  # and never the rest
            start = time.monotonic()
            assert silent.recv(1) == b""
            assert trickling.recv(1) == b""
            took = time.monotonic() - start

    assert took < 1 + SLACK


def cpu_seconds_over(wall_seconds: float) -> float:
    """CPU time this process (the server thread included) spends in ``wall_seconds``."""
    start = time.process_time()
    time.sleep(wall_seconds)
    return time.process_time() - start
