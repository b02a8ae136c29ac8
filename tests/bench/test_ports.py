import itertools
import socket

import pytest

from kling_bench import pick_free_port, wait_for_port
from kling_bench._ports import LOOPBACK, ServerNotListening, accepts_connections


def test_a_picked_port_is_free_on_loopback() -> None:
    port = pick_free_port()

    with socket.socket() as server:
        server.bind((LOOPBACK, port))  # would raise if something held it
        server.listen()
        assert accepts_connections(LOOPBACK, port)


def test_nothing_listening_is_reported_as_such() -> None:
    assert not accepts_connections(LOOPBACK, pick_free_port())


def wait_with(clock, *, answers, running: bool = True, timeout_s: float = 10) -> None:
    """wait_for_port on a fake clock, the probe answering ``answers`` in turn."""
    replies = iter(answers)
    wait_for_port(
        LOOPBACK,
        1,
        timeout_s=timeout_s,
        still_running=lambda: running,
        probe=lambda host, port: next(replies),
        clock=clock,
        sleep=clock.sleep,
    )


def test_waiting_returns_as_soon_as_the_port_accepts(fake_clock) -> None:
    clock = fake_clock

    wait_with(clock, answers=[False, False, True])

    assert len(clock.sleeps) == 2


def test_waiting_gives_up_at_the_deadline_without_sleeping_for_real(fake_clock) -> None:
    clock = fake_clock

    with pytest.raises(ServerNotListening, match="within 2 s"):
        wait_with(clock, answers=itertools.repeat(False), timeout_s=2)
    assert clock.now >= 2


def test_waiting_stops_at_once_when_the_server_process_has_exited(fake_clock) -> None:
    clock = fake_clock

    with pytest.raises(ServerNotListening, match="exited"):
        wait_with(clock, answers=itertools.repeat(False), running=False, timeout_s=30)
    assert clock.sleeps == []
