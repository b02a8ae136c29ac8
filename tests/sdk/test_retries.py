"""Retries: which failures are retried, how often, how far apart, and never a double charge."""

from __future__ import annotations

import email.utils
import json
import time

import httpx
import pytest

from kling_expand import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    InvalidRequestError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)

from .conftest import CREATE_URL

TASK_URL = f"{CREATE_URL}/t1"


def kling_error(status: int, code: int, **headers: str) -> httpx.Response:
    body = {"code": code, "message": f"error {code}", "request_id": f"req-{code}"}
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(
    ("status", "code"), [(429, 1302), (429, 1303), (500, 5000), (503, 5001), (504, 5002)]
)
def test_passing_failures_are_retried_with_exponential_backoff(
    client, router, clock, envelope, task_record, status, code
):
    # Given two failures the service says are worth retrying, then success
    route = router.get(TASK_URL).mock(
        side_effect=[
            kling_error(status, code),
            kling_error(status, code),
            httpx.Response(200, json=envelope()),
        ]
    )
    # When the task is fetched
    task = client.get("t1")
    # Then it took three requests, one and then two seconds apart (no jitter here)
    assert task.id == task_record()["task_id"]
    assert route.call_count == 3
    assert clock.sleeps == [1.0, 2.0]


def test_retry_after_from_the_service_sets_the_wait(client, router, clock, envelope):
    router.get(TASK_URL).mock(
        side_effect=[
            kling_error(429, 1302, **{"Retry-After": "7"}),
            httpx.Response(200, json=envelope()),
        ]
    )
    client.get("t1")
    assert clock.sleeps == [7.0]


@pytest.mark.parametrize("asked", [RetryPolicy().max_retry_after + 1, 3600.0])
def test_a_retry_after_over_the_cap_is_waited_for_the_cap_not_the_short_backoff(
    client, router, clock, envelope, asked
):
    # Given a service that asks for longer than the policy's cap on one wait
    router.get(TASK_URL).mock(
        side_effect=[
            kling_error(503, 5001, **{"Retry-After": f"{asked:g}"}),
            httpx.Response(200, json=envelope()),
        ]
    )
    # When the task is fetched
    client.get("t1")
    # Then the retry waits the longest the policy allows, not the 1 s backoff
    assert clock.sleeps == [RetryPolicy().max_retry_after]


def test_the_retry_after_cap_is_the_policys_own(make_client, router, clock, envelope):
    policy = RetryPolicy(max_retry_after=10.0)
    client = make_client(retry_policy=policy)
    router.get(TASK_URL).mock(
        side_effect=[
            kling_error(429, 1302, **{"Retry-After": "300"}),
            httpx.Response(200, json=envelope()),
        ]
    )
    client.get("t1")
    assert clock.sleeps == [policy.max_retry_after]


def test_retry_after_given_as_an_http_date_sets_the_wait(client, router, clock, envelope):
    in_thirty_seconds = email.utils.formatdate(time.time() + 30, usegmt=True)
    router.get(TASK_URL).mock(
        side_effect=[
            kling_error(503, 5001, **{"Retry-After": in_thirty_seconds}),
            httpx.Response(200, json=envelope()),
        ]
    )
    client.get("t1")
    # the date has whole seconds, and a little real time passes before it is read
    [slept] = clock.sleeps
    assert 28 < slept <= 30


def test_jitter_adds_up_to_a_quarter_on_top_of_the_backoff(make_client, router, clock, envelope):
    client = make_client(rand=lambda: 1.0)
    router.get(TASK_URL).mock(
        side_effect=[kling_error(500, 5000), httpx.Response(200, json=envelope())]
    )
    client.get("t1")
    assert clock.sleeps == [1.25]


def test_retries_stop_at_the_configured_count_and_raise_the_last_error(make_client, router, clock):
    client = make_client(max_retries=4)
    route = router.get(TASK_URL).mock(return_value=kling_error(503, 5001))
    with pytest.raises(ServerError) as caught:
        client.get("t1")
    assert route.call_count == 5
    assert caught.value.code == 5001 and caught.value.request_id == "req-5001"
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]


def test_a_custom_policy_caps_the_delay(make_client, router, clock):
    client = make_client(retry_policy=RetryPolicy(max_retries=3, initial_delay=2, max_delay=3))
    router.get(TASK_URL).mock(return_value=kling_error(500, 5000))
    with pytest.raises(ServerError):
        client.get("t1")
    assert clock.sleeps == [2.0, 3.0, 3.0]


@pytest.mark.parametrize(("status", "code"), [(400, 1201), (401, 1002), (429, 1102), (429, 1304)])
def test_failures_that_will_not_pass_are_not_retried(client, router, clock, status, code):
    route = router.get(TASK_URL).mock(return_value=kling_error(status, code))
    with pytest.raises(APIStatusError) as caught:
        client.get("t1")
    assert route.call_count == 1 and clock.sleeps == []
    assert caught.value.code == code and caught.value.status_code == status


def test_gateway_429_without_a_code_is_retried_as_cometapi_advises(client, router, clock, envelope):
    gateway = {"error": {"message": "slow down", "type": "comet_api_error", "code": None}}
    route = router.get(TASK_URL).mock(
        side_effect=[httpx.Response(429, json=gateway), httpx.Response(200, json=envelope())]
    )
    client.get("t1")
    assert route.call_count == 2


def test_connection_errors_are_retried_then_raised_as_connection_errors(client, router, clock):
    route = router.get(TASK_URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as caught:
        client.get("t1")
    assert route.call_count == 3
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert caught.value.request_sent is False


def test_a_read_timeout_is_a_timeout_error_that_may_have_reached_the_server(make_client, router):
    client = make_client(max_retries=0)
    router.get(TASK_URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError) as caught:
        client.get("t1")
    assert caught.value.request_sent is True


# --- create: never pay twice ------------------------------------------------------


def create_body(call) -> dict:
    return json.loads(call.request.content)


def lookup_page(*records: dict) -> httpx.Response:
    return httpx.Response(200, json={"code": 0, "message": "SUCCEED", "data": list(records)})


@pytest.mark.parametrize(
    "ambiguous",
    [
        httpx.ReadTimeout("no answer"),
        httpx.RemoteProtocolError("dropped"),
        kling_error(500, 5000),
        kling_error(504, 5002),
        kling_error(200, 5000),
    ],
    ids=["read-timeout", "dropped", "500", "504", "200-with-code-5000"],
)
def test_after_an_ambiguous_create_failure_a_task_that_landed_is_found_not_resubmitted(
    client, router, envelope, task_record, ambiguous
):
    # Given a create whose answer is lost, although the service created the task
    create = router.post(CREATE_URL).mock(side_effect=[ambiguous])
    lookup = router.get(CREATE_URL).mock(
        side_effect=lambda request: lookup_page(
            task_record(
                task_id="landed",
                task_info={"external_task_id": request.url.params["external_task_id"]},
            )
        )
    )
    # When it is submitted
    task = client.submit("https://img.test/a.jpg", up=0.5, external_task_id="order-1")
    # Then the SDK found the task by its external id and sent the create once
    assert task.id == "landed"
    assert create.call_count == 1
    assert lookup.calls.last.request.url.params["external_task_id"] == "order-1"


UNREADABLE_SUCCESSES = {
    "html": httpx.Response(200, text="<html>Welcome</html>", headers={"Content-Type": "text/html"}),
    "torn-json": httpx.Response(
        200, content=b'{"code": 0, "data": {"task_id"', headers={"Content-Type": "application/json"}
    ),
    "no-task": httpx.Response(200, json={"code": 0, "message": "SUCCEED", "data": {}}),
}


@pytest.mark.parametrize("answer", UNREADABLE_SUCCESSES.values(), ids=UNREADABLE_SUCCESSES.keys())
def test_a_create_answered_200_with_an_unreadable_body_is_looked_up_not_raised(
    client, router, task_record, answer
):
    # Given a create the service took, whose 200 answer cannot be read as a task
    create = router.post(CREATE_URL).mock(return_value=answer)
    landed = task_record(task_id="landed", task_info={"external_task_id": "order-2"})
    lookup = router.get(CREATE_URL).mock(return_value=lookup_page(landed))
    # When it is submitted
    task = client.submit("https://img.test/a.jpg", up=0.5, external_task_id="order-2")
    # Then the SDK found the task by its external id instead of failing or paying again
    assert task.id == "landed" and create.call_count == 1
    assert lookup.calls.last.request.url.params["external_task_id"] == "order-2"


@pytest.mark.parametrize("answer", UNREADABLE_SUCCESSES.values(), ids=UNREADABLE_SUCCESSES.keys())
def test_an_unreadable_200_create_with_no_task_found_is_raised_not_resent(
    client, router, clock, answer
):
    create = router.post(CREATE_URL).mock(return_value=answer)
    lookup = router.get(CREATE_URL).mock(return_value=lookup_page())
    with pytest.raises(APIResponseValidationError) as caught:
        client.submit("https://img.test/a.jpg", up=0.5)
    assert caught.value.status_code == 200
    assert create.call_count == 1 and lookup.call_count == 1 and clock.sleeps == []


def test_after_an_ambiguous_failure_with_no_task_found_the_same_create_is_resent(
    client, router, clock, envelope
):
    create = router.post(CREATE_URL).mock(
        side_effect=[httpx.ReadTimeout("lost"), httpx.Response(200, json=envelope(task_id="t2"))]
    )
    router.get(CREATE_URL).mock(return_value=lookup_page())
    task = client.submit("https://img.test/a.jpg", up=0.5)
    assert task.id == "t2"
    first, second = (create_body(call) for call in create.calls)
    assert first == second, "the resend is the same request, with the same external_task_id"
    assert clock.sleeps == [1.0]


def test_a_refused_connection_is_resent_without_a_lookup(client, router, envelope):
    create = router.post(CREATE_URL).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=envelope())]
    )
    lookup = router.get(CREATE_URL).mock(return_value=lookup_page())
    client.submit("https://img.test/a.jpg", up=0.5)
    assert create.call_count == 2 and lookup.call_count == 0


def test_when_the_lookup_itself_fails_the_create_is_not_resent(make_client, router):
    client = make_client(max_retries=1)
    create = router.post(CREATE_URL).mock(side_effect=httpx.ReadTimeout("lost"))
    router.get(CREATE_URL).mock(return_value=kling_error(401, 1002))
    with pytest.raises(APITimeoutError) as caught:
        client.submit("https://img.test/a.jpg", up=0.5)
    assert create.call_count == 1
    assert isinstance(caught.value.__cause__, APIStatusError)
    assert caught.value.__cause__.code == 1002


def test_a_resend_refused_as_a_duplicate_id_finds_the_first_task(
    client, router, task_record, envelope
):
    # Given a first create that landed but timed out, invisible to the first lookup
    create = router.post(CREATE_URL).mock(
        side_effect=[httpx.ReadTimeout("lost"), kling_error(400, 1201)]
    )
    landed = task_record(task_id="first", task_info={"external_task_id": "order-9"})
    router.get(CREATE_URL).mock(side_effect=[lookup_page(), lookup_page(landed)])
    # When submitted, the resend is refused for its duplicate external id
    task = client.submit("https://img.test/a.jpg", up=0.5, external_task_id="order-9")
    # Then the SDK returns the task the first attempt created
    assert task.id == "first" and create.call_count == 2


def test_a_refused_create_is_not_retried(client, router):
    create = router.post(CREATE_URL).mock(return_value=kling_error(400, 1201))
    with pytest.raises(InvalidRequestError):
        client.submit("https://img.test/a.jpg", up=0.5)
    assert create.call_count == 1


def test_a_rate_limited_create_is_resent_after_the_wait(client, router, clock, envelope):
    create = router.post(CREATE_URL).mock(
        side_effect=[
            kling_error(429, 1303, **{"Retry-After": "3"}),
            httpx.Response(200, json=envelope()),
        ]
    )
    client.submit("https://img.test/a.jpg", up=0.5)
    assert create.call_count == 2 and clock.sleeps == [3.0]


def test_a_create_rate_limited_past_the_retry_count_raises(make_client, router):
    client = make_client(max_retries=1)
    router.post(CREATE_URL).mock(return_value=kling_error(429, 1302))
    with pytest.raises(RateLimitError):
        client.submit("https://img.test/a.jpg", up=0.5)
