"""Image decodes and renders, and large create bodies, are bounded in how many run at once."""

import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import kling_mock._render
import kling_mock._service
from kling_spec import CREATE_PATH

from .conftest import AUTH, Api, C, b64

BOUND = 2
REQUESTS = BOUND + 2
WAIT_SECONDS = 30  # a safety net for a broken mock, never reached when it works


class Probe:
    """Wraps a function to count the calls inside it at once; each call stays inside until
    released, or until more than BOUND are in (the bound is broken: let them all out)."""

    def __init__(self) -> None:
        self.state = threading.Condition()
        self.arrived = self.active = self.peak = 0
        self.released = False

    def counting(self, slots: Any) -> Any:
        """The mock's decode slots, counting every call that asks for one."""
        probe = self

        class Counted:
            def __enter__(self) -> Any:
                with probe.state:
                    probe.arrived += 1
                    probe.state.notify_all()
                return slots.__enter__()

            def __exit__(self, *exc: object) -> Any:
                return slots.__exit__(*exc)

        return Counted()

    def holding(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.state:
                self.active += 1
                self.peak = max(self.peak, self.active)
                self.state.notify_all()
                self.state.wait_for(
                    lambda: self.released or self.active > BOUND, timeout=WAIT_SECONDS
                )
            try:
                return real(*args, **kwargs)
            finally:
                with self.state:
                    self.active -= 1
                    self.state.notify_all()

        return wrapper

    def release_when_full(self, arrivals: int) -> bool:
        """Once every request asked for a slot and BOUND are inside, let them all go on."""
        with self.state:
            full = self.state.wait_for(
                lambda: self.arrived >= arrivals and self.active == BOUND, timeout=WAIT_SECONDS
            )
            self.released = True
            self.state.notify_all()
        return full


def run_at_once(calls: list[Callable[[], Any]], probe: Probe) -> tuple[list[Any], bool]:
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        full = probe.release_when_full(len(calls))
        return [future.result() for future in futures], full


@pytest.fixture
def bounded_api(make_mock, make_api) -> Api:
    api: Api = make_api(make_mock(max_concurrent_decodes=BOUND))
    return api


def test_concurrent_uploads_decode_at_most_the_configured_number_at_once(
    bounded_api: Api, request_body, png, monkeypatch
) -> None:
    probe = Probe()
    service = kling_mock._service
    slots = probe.counting(bounded_api.mock.service.decode_slots)
    monkeypatch.setattr(bounded_api.mock.service, "decode_slots", slots)
    monkeypatch.setattr(service, "decode_source", probe.holding(kling_mock._render.decode_source))
    body = request_body(image=b64(png()))

    responses, full = run_at_once([lambda: bounded_api.create(body)] * REQUESTS, probe)

    assert [response.status_code for response in responses] == [200] * REQUESTS
    assert full and probe.peak == BOUND


def test_concurrent_first_downloads_render_at_most_the_configured_number_at_once(
    bounded_api: Api, request_body, png, monkeypatch
) -> None:
    up = C.vertical_fields[0]
    ids = [
        bounded_api.created(request_body(image=b64(png(seed=seed)), **{up: 0.5}))["task_id"]
        for seed in range(REQUESTS)
    ]
    bounded_api.mock.advance(3600)
    urls = [bounded_api.task(task_id)["task_result"]["images"][0]["url"] for task_id in ids]
    probe = Probe()
    service = kling_mock._service
    slots = probe.counting(bounded_api.mock.service.decode_slots)
    monkeypatch.setattr(bounded_api.mock.service, "decode_slots", slots)
    monkeypatch.setattr(service, "expand_image", probe.holding(kling_mock._render.expand_image))

    responses, full = run_at_once(
        [functools.partial(bounded_api.http.get, url) for url in urls], probe
    )

    assert [response.status_code for response in responses] == [200] * REQUESTS
    assert full and probe.peak == BOUND


def test_a_decode_bound_below_one_fails_at_start_up(make_mock) -> None:
    with pytest.raises(ValueError, match="max_concurrent_decodes"):
        make_mock(max_concurrent_decodes=0)


def wait_until(condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_large_bodies_wait_for_a_slot_while_small_ones_pass(
    make_mock, make_api, request_body, png, monkeypatch
) -> None:
    # Given a mock that handles one large body at a time, its one slot taken
    api: Api = make_api(make_mock(max_concurrent_large_bodies=1, large_body_bytes=1000))
    slots = api.mock.service.large_body_slots
    assert slots.try_take()
    with ThreadPoolExecutor(max_workers=1) as pool:
        # When a large create arrives, it waits for the slot
        waiting = pool.submit(api.create, request_body(image=b64(png())))
        assert wait_until(lambda: slots.waiting == 1)
        # Then a small create still goes through while the large one is unread
        assert api.create(request_body()).status_code == 200
        assert not waiting.done() and len(api.mock.journal) == 1
        # And once the slot is free, the large one is served
        slots.give_back()
        assert waiting.result(timeout=WAIT_SECONDS).status_code == 200


def test_an_oversized_declared_body_is_refused_without_waiting_for_a_slot(make_mock, make_api):
    api: Api = make_api(make_mock(max_concurrent_large_bodies=1))
    assert api.mock.service.large_body_slots.try_take()
    limit = api.mock.service.max_body_bytes

    response = api.http.post(
        CREATE_PATH,
        content=b"x" * (limit + 1),
        headers={**AUTH, "Content-Type": "application/json"},
    )

    assert (response.status_code, response.json()["code"]) == (413, 1200)
