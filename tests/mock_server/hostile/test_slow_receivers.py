"""Slow and silent callback receivers cannot stall the mock, other receivers or its clock."""

import time

import httpx
import pytest

from kling_mock import ADMIN_PREFIX, MockConfig, MockKling
from kling_spec import CREATE_PATH

from .peers import DrippingReceiver, HangingReceiver, HealthyReceiver, served

#: generous slack for a loaded two-core machine, on top of the configured bound
SLACK = 1.5


def test_a_receiver_answering_a_byte_at_a_time_fails_its_attempt_within_the_timeout(
    make_api, request_body
) -> None:
    api = make_api(MockKling(MockConfig(callback_timeout_seconds=1)))
    with DrippingReceiver(drip_seconds=0.5) as receiver:
        api.created(request_body(callback_url=receiver.url))

        start = time.monotonic()
        assert api.mock.advance(0) == 1
        took = time.monotonic() - start

    assert took < 1 + SLACK
    [delivery] = api.mock.deliveries
    assert delivery.state == "pending"  # to be retried, the failure recorded
    [attempt] = delivery.attempts
    assert "TimeoutError" in attempt["error"]
    assert "callback_timeout_seconds" in attempt["error"]


def test_a_healthy_receiver_is_served_promptly_while_ten_receivers_hang(
    make_api, request_body
) -> None:
    api = make_api(MockKling(MockConfig(callback_timeout_seconds=2)))
    with HangingReceiver() as hanging, HealthyReceiver() as healthy:
        for _ in range(10):
            api.created(request_body(callback_url=hanging.url))
        healthy_task = api.created(request_body(callback_url=healthy.url))["task_id"]

        start = time.monotonic()
        assert api.mock.advance(0) == 11  # returns once the hanging attempts time out

    [(arrived, record)] = healthy.arrivals
    assert record["task_id"] == healthy_task
    assert arrived - start < SLACK  # not behind 10 x callback_timeout_seconds
    assert hanging.connections == 10
    hung = [d for d in api.mock.deliveries if d.task_id != healthy_task]
    assert all("TimeoutError" in d.attempts[0]["error"] for d in hung)


def test_clock_advance_answers_promptly_while_receivers_hang(make_mock, request_body) -> None:
    mock = make_mock(callback_timeout_seconds=5, callback_advance_wait_seconds=0.25)
    with HangingReceiver() as hanging, served(mock, shutdown_seconds=1) as server:
        with httpx.Client(base_url=server.base_url, timeout=15) as client:
            for _ in range(10):
                created = client.post(
                    CREATE_PATH,
                    json=request_body(callback_url=hanging.url),
                    headers=mock.headers(),
                )
                assert created.status_code == 200, created.text

            start = time.monotonic()
            advanced = client.post(ADMIN_PREFIX + "/clock/advance", json={"seconds": 0})
            took = time.monotonic() - start

    assert advanced.status_code == 200, advanced.text
    assert advanced.json()["callback_attempts"] == 10
    assert took < 0.25 + SLACK  # the receivers hold their attempts for 5 s


@pytest.mark.parametrize("statuses", ["submitted only", "every status"])
def test_pending_deliveries_stay_within_the_cap_whatever_the_receiver(
    make_api, request_body, statuses
) -> None:
    cap = 20
    config = MockConfig(
        deliveries_max_entries=cap, callback_timeout_seconds=0.5, callback_concurrency=64
    )
    api = make_api(MockKling(config))
    with HangingReceiver() as hanging:
        for _ in range(150):
            api.created(request_body(callback_url=hanging.url))
        api.mock.advance(0 if statuses == "submitted only" else 3600)

        assert api.mock.service.callbacks.pending <= cap
        assert len(api.mock.deliveries) <= cap
        assert hanging.connections <= cap
        given_up = [d for d in api.mock.deliveries if d.state == "failed"]
        assert all("deliveries_max_entries" in d.attempts[-1]["error"] for d in given_up)
