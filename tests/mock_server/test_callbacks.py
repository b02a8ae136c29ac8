"""Callbacks: the flat record POSTed on each status change, signed, retried, on the clock."""

import base64
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kling_mock import ADMIN_PREFIX, MockConfig, MockKling, ServerThread
from kling_spec import CREATE_PATH

from .conftest import Api

SECRET = "whsec_" + base64.b64encode(b"kling-mock-test-secret-0123456789").decode()
HOOK = "http://127.0.0.1:9/hooks/kling"


class Receiver:
    """Records callbacks; answers with the statuses it is given, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses = list(statuses or [])

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]


@pytest.fixture
def hooked(make_mock, make_api) -> Callable[..., tuple[Api, Receiver]]:
    """A mock whose callbacks go to a recording transport, with any config overridden."""

    def make(statuses: list[int] | None = None, **config: Any) -> tuple[Api, Receiver]:
        receiver = Receiver(statuses)
        config.setdefault("submitted_seconds", 1)
        config.setdefault("processing_seconds", 2)
        mock = make_mock(transports={"callback_transport": httpx.MockTransport(receiver)}, **config)
        return make_api(mock), receiver

    return make


async def advance(mock: MockKling, seconds: float, driver: str) -> None:
    if driver == "sync":
        mock.advance(seconds)
    else:
        await mock.advance_async(seconds)


@pytest.mark.asyncio
@pytest.mark.parametrize("driver", ["sync", "async"])
async def test_each_status_change_is_posted_as_the_flat_record(hooked, request_body, driver):
    api, receiver = hooked()
    task_id = api.created(request_body(callback_url=HOOK))["task_id"]

    await advance(api.mock, 0, driver)
    assert [b["task_status"] for b in receiver.bodies] == ["submitted"]
    await advance(api.mock, 1, driver)
    await advance(api.mock, 2, driver)

    assert [b["task_status"] for b in receiver.bodies] == ["submitted", "processing", "succeed"]
    assert all(b["task_id"] == task_id and "code" not in b for b in receiver.bodies)
    assert receiver.bodies[-1] == api.task(task_id)
    assert all(str(r.url) == HOOK and r.method == "POST" for r in receiver.requests)


def test_one_long_jump_still_reports_every_status_in_order(hooked, request_body) -> None:
    api, receiver = hooked()
    api.created(request_body(callback_url=HOOK))

    api.mock.advance(3600)

    assert [b["task_status"] for b in receiver.bodies] == ["submitted", "processing", "succeed"]
    assert [b["updated_at"] for b in receiver.bodies] == sorted(
        b["updated_at"] for b in receiver.bodies
    )


def test_callbacks_are_signed_per_standard_webhooks(hooked, request_body) -> None:
    api, receiver = hooked(callback_secret=SECRET)
    api.created(request_body(callback_url=HOOK))

    api.mock.advance(3)

    for request in receiver.requests:
        verified = Webhook(SECRET).verify(request.content, dict(request.headers))
        assert verified["task_id"]
        assert request.headers["webhook-signature"].startswith("v1,")


def test_signatures_verify_however_far_the_mock_clock_has_moved(hooked, request_body) -> None:
    # Given a mock whose clock tests have moved a day ahead of the wall clock
    api, receiver = hooked(callback_secret=SECRET)
    api.mock.advance(24 * 3600)
    api.created(request_body(callback_url=HOOK))

    # When its task runs on another day's worth of mock time
    api.mock.advance(24 * 3600)

    # Then every callback verifies where receivers check the time: against their own clock
    assert len(receiver.requests) == 3
    for request in receiver.requests:
        assert Webhook(SECRET).verify(request.content, dict(request.headers))["task_id"]


def test_a_tampered_callback_fails_verification(hooked, request_body) -> None:
    api, receiver = hooked(callback_secret=SECRET)
    api.created(request_body(callback_url=HOOK))
    api.mock.advance(0)

    (request,) = receiver.requests
    tampered = request.content.replace(b"submitted", b"succeed")

    with pytest.raises(Exception, match="signature"):
        Webhook(SECRET).verify(tampered, dict(request.headers))


def test_without_a_secret_callbacks_are_unsigned(hooked, request_body) -> None:
    api, receiver = hooked()
    api.created(request_body(callback_url=HOOK))
    api.mock.advance(0)

    assert "webhook-signature" not in receiver.requests[0].headers
    assert receiver.requests[0].headers["webhook-id"]


def test_a_failing_receiver_is_retried_with_exponential_backoff(hooked, request_body) -> None:
    api, receiver = hooked(statuses=[500, 503], callback_backoff_seconds=10, submitted_seconds=1000)
    api.created(request_body(callback_url=HOOK))

    api.mock.advance(0)  # first attempt: 500
    api.mock.advance(9.999)  # not yet
    assert len(receiver.requests) == 1
    api.mock.advance(0.001)  # second attempt after 10 s: 503
    api.mock.advance(19.999)
    assert len(receiver.requests) == 2
    api.mock.advance(0.001)  # third attempt 20 s later: delivered

    (delivery,) = api.mock.deliveries
    assert delivery.state == "delivered"
    assert [a.get("status") for a in delivery.attempts] == [500, 503, 200]


def test_a_receiver_that_never_answers_gives_up_after_the_last_attempt(hooked, request_body):
    api, receiver = hooked(
        statuses=[500] * 10,
        callback_max_attempts=3,
        callback_backoff_seconds=1,
        submitted_seconds=1000,
    )
    api.created(request_body(callback_url=HOOK))

    for _ in range(10):
        api.mock.advance(5)
    api.mock.advance(0)

    delivery = api.mock.deliveries[0]
    assert (delivery.state, len(delivery.attempts)) == ("failed", 3)


def test_callback_targets_obey_the_allowlist(hooked, request_body) -> None:
    api, receiver = hooked()
    api.created(request_body(callback_url="https://hooks.example.com/kling"))

    api.mock.advance(3600)

    assert receiver.requests == []
    assert {d.state for d in api.mock.deliveries} == {"refused"}


def test_a_callback_url_with_an_impossible_port_is_refused_not_a_crash(hooked, request_body):
    # Given a task whose callback_url names a port no socket has (URL syntax allows it)
    api, receiver = hooked()
    api.created(request_body(callback_url="http://127.0.0.1:99999/hook"))
    # When the clock moves through the admin API
    advanced = api.http.post(f"{ADMIN_PREFIX}/clock/advance", json={"seconds": 3600})
    # Then the clock moved, nothing was sent, and each delivery says why
    assert advanced.status_code == 200
    assert receiver.requests == []
    assert {d.state for d in api.mock.deliveries} == {"refused"}
    assert all("port" in d.attempts[0]["error"] for d in api.mock.deliveries)


def test_a_receiver_failing_in_any_way_is_a_failed_attempt_retried(
    make_mock, make_api, request_body
):
    # Given a callback transport that fails with an error no HTTP library would raise
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("the receiver's stack fell over")

    mock = make_mock(
        transports={"callback_transport": httpx.MockTransport(broken)},
        submitted_seconds=1,
        processing_seconds=2,
    )
    api = make_api(mock)
    api.created(request_body(callback_url=HOOK))
    # When the clock moves through the admin API
    advanced = api.http.post(f"{ADMIN_PREFIX}/clock/advance", json={"seconds": 1})
    # Then the clock moved, and the delivery recorded the error and stays due for a retry
    assert advanced.status_code == 200
    first = api.mock.deliveries[0]
    assert first.state == "pending" and "RuntimeError" in first.attempts[0]["error"]


def test_deliveries_are_visible_through_the_admin_api(hooked, request_body) -> None:
    api, receiver = hooked()
    task_id = api.created(request_body(callback_url=HOOK))["task_id"]

    advanced = api.http.post(f"{ADMIN_PREFIX}/clock/advance", json={"seconds": 3600})
    deliveries = api.http.get(f"{ADMIN_PREFIX}/deliveries").json()["deliveries"]

    assert advanced.json()["callback_attempts"] == 3
    assert [d["task_status"] for d in deliveries] == ["submitted", "processing", "succeed"]
    assert {d["state"] for d in deliveries} == {"delivered"}
    assert deliveries[-1]["payload"]["task_id"] == task_id


def test_tasks_without_a_callback_url_send_nothing(hooked, request_body) -> None:
    api, receiver = hooked()
    api.created(request_body())

    api.mock.advance(3600)

    assert receiver.requests == [] and api.mock.deliveries == []


@pytest.fixture
def loopback_receiver() -> Iterator[tuple[ServerThread, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    async def hook(request: Request) -> Response:
        received.append({"body": await request.json(), "headers": dict(request.headers)})
        return Response(status_code=204)

    with ServerThread(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as server:
        yield server, received


def test_callbacks_reach_a_real_receiver_on_loopback(loopback_receiver, make_api, request_body):
    server, received = loopback_receiver
    api = make_api(MockKling())  # no injected transport: real HTTP
    api.created(request_body(callback_url=server.base_url + "/hook"))

    api.mock.advance(3600)

    assert [r["body"]["task_status"] for r in received] == ["submitted", "processing", "succeed"]
    assert {d.state for d in api.mock.deliveries} == {"delivered"}


def test_a_served_mock_on_real_time_sends_callbacks_by_itself(request_body) -> None:
    # Given a mock on a running clock whose tasks finish at once, served by uvicorn
    finished = threading.Event()
    received: list[str] = []

    def hook(request: httpx.Request) -> httpx.Response:
        received.append(json.loads(request.content)["task_status"])
        if received[-1] == "succeed":
            finished.set()
        return httpx.Response(200)

    mock = MockKling(
        MockConfig(clock_frozen=False, submitted_seconds=0, processing_seconds=0),
        callback_transport=httpx.MockTransport(hook),
    )
    with mock.serve() as server, httpx.Client(base_url=server.base_url) as client:
        client.post(CREATE_PATH, json=request_body(callback_url=HOOK), headers=mock.headers())

        # Then, with nobody advancing the clock, the server's own ticker delivers them
        assert finished.wait(timeout=30)

    assert received[-1] == "succeed"
    assert "submitted" in received
