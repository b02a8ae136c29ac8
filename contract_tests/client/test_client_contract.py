"""The SDK against every answer the service documents, over respx (no network).

For each answer: the exact exception type, its fields, how many requests were
sent and what they were, and how long the SDK waited between them (on a
controlled clock: nothing sleeps for real; jitter drawn as 0 unless a test says
otherwise). The waits follow the SDK's default RetryPolicy, read from it rather
than restated: ``initial_delay * multiplier ** k``, capped at ``max_delay``.
What is retried follows the spec: Kling's codes marked retryable in
``x-kling-error-codes``, and for a gateway answer the statuses in
``x-cometapi-retryable-statuses``. Sync and async clients alike.
"""

import dataclasses
import email.utils
import json
import math
import time

import httpx
import pytest

from kling_expand import (
    AccountError,
    APIResponseValidationError,
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PolicyError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from kling_spec import load_resolved_spec

from ..gateways import KLING
from ..sdk_calls import SdkCaller
from .conftest import MAX_RETRIES, TASK_ID

POLICY = RetryPolicy()

SCHEMAS = load_resolved_spec()["components"]["schemas"]
# The SDK's documented tree: one class per family of Kling codes.
FAMILY_ERRORS = {
    "authentication": AuthenticationError,
    "account": AccountError,
    "invalid_request": InvalidRequestError,
    "not_found": NotFoundError,
    "policy": PolicyError,
    "rate_limit": RateLimitError,
    "server": ServerError,
}
# Kling's documented error codes, read from the spec: (HTTP status, code, the SDK
# class the family becomes, whether Kling advises retrying it).
KLING_ANSWERS = [
    (row["http_status"], row["code"], FAMILY_ERRORS.get(row["family"]), bool(row.get("retryable")))
    for row in SCHEMAS["ErrorEnvelope"]["x-kling-error-codes"]
]
# CometAPI's gateway answers: retry the statuses the spec lists, never 400 or 401.
GATEWAY_RETRYABLE = frozenset(SCHEMAS["GatewayError"]["x-cometapi-retryable-statuses"])
GATEWAY_ERRORS = {400: InvalidRequestError, 401: AuthenticationError, 429: RateLimitError}
# A gateway status the spec's retryable list leaves out: the SDK must not retry it.
BAD_GATEWAY = 502
GATEWAY_ANSWERS = [
    pytest.param(
        status,
        GATEWAY_ERRORS.get(status, ServerError),
        status in GATEWAY_RETRYABLE,
        id=str(status),
    )
    for status in sorted({400, 401, BAD_GATEWAY} | GATEWAY_RETRYABLE)
]


def backoff(retries: int, jitter_draw: float = 0.0) -> list[float]:
    """The waits before each of ``retries`` retries under the default policy."""
    return [
        min(
            POLICY.max_delay,
            min(POLICY.max_delay, POLICY.initial_delay * POLICY.multiplier**k)
            * (1 + POLICY.jitter * jitter_draw),
        )
        for k in range(retries)
    ]


def answers_alike(route) -> bool:
    """Whether every request ``route`` saw was the same one (method, URL, key, body)."""
    seen = {
        (c.request.method, str(c.request.url), c.request.headers.get("authorization"))
        + (c.request.content,)
        for c in route.calls
    }
    return len(seen) == 1


def test_every_family_of_codes_has_its_class() -> None:
    assert all(error_type is not None for _, _, error_type, _ in KLING_ANSWERS)


def task_url(sdk: SdkCaller, task_id: str = TASK_ID) -> str:
    return f"{sdk.create_path}/{task_id}"


def kling_error(code, message="refused by the contract test"):
    return {"code": code, "message": message, "request_id": "req-contract"}


def gateway_error(status):
    return {"error": {"message": f"gateway says {status}", "type": "comet_api_error", "code": ""}}


def attempts(route) -> int:
    return route.call_count


# Kling's "token expired": on Kling's gateway the SDK renews its JWT and sends once more
# (a 401 was refused, so nothing was created); a static CometAPI key cannot be renewed.
TOKEN_EXPIRED = 1004


def renewals(sdk: SdkCaller, code: int) -> int:
    return 1 if sdk.gateway == KLING and code == TOKEN_EXPIRED else 0


EACH_KLING_CODE = pytest.mark.parametrize(
    ("status", "code", "error_type", "retried"),
    KLING_ANSWERS,
    ids=[f"{status}-{code}" for status, code, _, _ in KLING_ANSWERS],
)


@EACH_KLING_CODE
@pytest.mark.parametrize("written", [int, str], ids=["code-a-number", "code-as-text"])
def test_each_kling_error_code_becomes_its_exception(
    status, code, error_type, retried, written, sdk, service, clock
) -> None:
    # Given the service answers every get with this documented error (its code a JSON
    # number, or a string as some gateways send it)
    route = service.get(task_url(sdk)).respond(status, json=kling_error(written(code)))

    # When the SDK asks for the task
    with pytest.raises(error_type) as caught:
        sdk.call("get", TASK_ID)

    # Then the exact type carries the answer, after retries only where Kling advises them
    error = caught.value
    assert type(error) is error_type
    assert (error.status_code, error.code, error.request_id) == (status, code, "req-contract")
    assert attempts(route) == 1 + renewals(sdk, code) + (MAX_RETRIES if retried else 0)
    assert clock.sleeps == backoff(attempts(route) - 1 - renewals(sdk, code))
    assert answers_alike(route) or renewals(sdk, code)
    assert sdk.authenticated(route.calls[0].request.headers["authorization"])


@EACH_KLING_CODE
def test_each_kling_error_code_on_create_is_resent_only_as_advised(
    status, code, error_type, retried, sdk, service, clock, small_png
) -> None:
    # Given the service answers every create with this documented error, and has no
    # task with the create's external_task_id
    route = service.post(sdk.create_path).respond(status, json=kling_error(code))
    lookups = service.get(sdk.create_path).respond(200, json={"code": 0, "message": "", "data": []})

    # When the SDK submits
    with pytest.raises(error_type) as caught:
        sdk.call("submit", small_png)

    # Then the same body went out once, or again after each advised wait
    assert type(caught.value) is error_type
    assert caught.value.code == code
    creates = 1 + (MAX_RETRIES if retried else 0)
    assert attempts(route) == creates + renewals(sdk, code)
    assert answers_alike(route) or renewals(sdk, code)
    assert clock.sleeps == backoff(creates - 1)
    # And a 5xx, which leaves open whether the task was made, is looked up after each
    # failure (any other answer says nothing was created)
    assert attempts(lookups) == (creates if status >= 500 else 0)


@pytest.mark.parametrize(
    ("status", "error_type", "retried"), GATEWAY_ANSWERS, ids=[str(a[0]) for a in GATEWAY_ANSWERS]
)
def test_each_gateway_error_becomes_its_exception(
    status, error_type, retried, sdk, service, clock
) -> None:
    route = service.get(task_url(sdk)).respond(status, json=gateway_error(status))

    with pytest.raises(error_type) as caught:
        sdk.call("get", TASK_ID)

    assert type(caught.value) is error_type
    assert caught.value.status_code == status
    assert f"gateway says {status}" in str(caught.value)
    assert attempts(route) == 1 + (MAX_RETRIES if retried else 0)
    assert clock.sleeps == backoff(attempts(route) - 1)
    assert answers_alike(route)


def test_the_backoff_grows_to_its_cap(sdk, service, clock) -> None:
    # Given more retries than it takes the default policy's waits to reach max_delay
    to_cap = math.ceil(math.log(POLICY.max_delay / POLICY.initial_delay, POLICY.multiplier))
    retries = to_cap + 2
    capped = dataclasses.replace(sdk, config={**sdk.config, "max_retries": retries})
    route = service.get(task_url(sdk)).respond(503, json=kling_error(5001))

    with pytest.raises(ServerError):
        capped.call("get", TASK_ID)

    # Then each wait doubles (by the policy's multiplier) until it stays at the cap
    assert attempts(route) == 1 + retries
    assert clock.sleeps == backoff(retries)
    assert clock.sleeps[-2:] == [POLICY.max_delay] * 2


def test_jitter_adds_at_most_the_policy_share_of_each_wait(sdk, service, clock) -> None:
    # Given jitter drawn at its largest
    jittered = dataclasses.replace(sdk, config={**sdk.config, "rand": lambda: 1.0})
    service.get(task_url(sdk)).respond(503, json=kling_error(5001))

    with pytest.raises(ServerError):
        jittered.call("get", TASK_ID)

    assert clock.sleeps == backoff(MAX_RETRIES, jitter_draw=1.0)


def test_retry_after_sets_the_wait_between_attempts(sdk, service, clock) -> None:
    route = service.get(task_url(sdk)).respond(
        429, json=kling_error(1302), headers={"Retry-After": "7"}
    )

    with pytest.raises(RateLimitError) as caught:
        sdk.call("get", TASK_ID)

    assert caught.value.retry_after == 7
    assert clock.sleeps == [7] * MAX_RETRIES
    assert attempts(route) == 1 + MAX_RETRIES


def test_a_retried_answer_that_then_succeeds_returns_the_task(
    sdk, service, clock, envelope
) -> None:
    route = service.get(task_url(sdk)).mock(
        side_effect=[
            httpx.Response(503, json=kling_error(5001), headers={"Retry-After": "2"}),
            httpx.Response(200, json=envelope()),
        ]
    )

    task = sdk.call("get", TASK_ID)

    assert task.id == TASK_ID
    assert attempts(route) == 2
    assert clock.sleeps == [2]


# An HTTP date has whole seconds, and the SDK reads it against the wall clock a moment
# after the header was written: the wait may fall short of the offset by this much.
HTTP_DATE_SLACK = 1.5


@pytest.mark.parametrize(
    "offset", [-POLICY.max_retry_after, POLICY.max_retry_after / 2], ids=["passed", "ahead"]
)
def test_retry_after_as_an_http_date_waits_until_then(offset, sdk, service, clock) -> None:
    # Given a Retry-After naming a moment as an HTTP date: passed, or ahead
    date = email.utils.formatdate(time.time() + offset, usegmt=True)
    route = service.get(task_url(sdk)).respond(
        429, json=kling_error(1302), headers={"Retry-After": date}
    )

    with pytest.raises(RateLimitError):
        sdk.call("get", TASK_ID)

    # Then each wait lasts until that moment (none once it has passed), not the backoff
    until = max(0.0, offset)
    assert attempts(route) == 1 + MAX_RETRIES
    assert len(clock.sleeps) == MAX_RETRIES
    assert all(until - HTTP_DATE_SLACK <= s <= until for s in clock.sleeps), clock.sleeps


def test_unknown_extra_fields_are_ignored(sdk, service, envelope) -> None:
    body = envelope(new_field={"nested": [1, 2]}) | {"surprise": True}
    service.get(task_url(sdk)).respond(200, json=body)

    task = sdk.call("get", TASK_ID)

    assert (task.id, task.status) == (TASK_ID, "submitted")


def test_a_status_outside_the_enum_is_kept_and_waited_on(sdk, service, clock, envelope) -> None:
    # Given the task reports a status the spec does not know, then succeeds
    unknown = envelope(task_status="queued_for_gpu")
    done = envelope(
        task_status="succeed",
        task_result={"images": [{"index": 0, "url": "https://cdn.kling.test/0.png"}]},
    )
    route = service.get(task_url(sdk)).mock(
        side_effect=[httpx.Response(200, json=unknown), httpx.Response(200, json=done)]
    )

    # Then reading it keeps the status as text, and waiting treats it as still running
    assert sdk.call("get", TASK_ID).status == "queued_for_gpu"
    route.side_effect = [httpx.Response(200, json=unknown), httpx.Response(200, json=done)]
    finished = sdk.call("wait", TASK_ID, timeout=600)
    assert finished.status == "succeed"
    assert [image.index for image in finished.images] == [0]


@pytest.mark.parametrize(
    ("status", "content", "content_type", "error_type", "retried"),
    [
        pytest.param(
            200,
            b'{"code": 0, "data": ',
            "application/json",
            APIResponseValidationError,
            False,
            id="malformed-json-200",
        ),
        pytest.param(
            200,
            b"<html><body>Welcome</body></html>",
            "text/html",
            APIResponseValidationError,
            False,
            id="html-200",
        ),
        pytest.param(
            BAD_GATEWAY,
            b"<html><h1>Bad Gateway</h1></html>",
            "text/html",
            ServerError,
            BAD_GATEWAY in GATEWAY_RETRYABLE,
            id="html-502",
        ),
        pytest.param(
            500,
            b'{"code": 5000, "mess',
            "application/json",
            ServerError,
            500 in GATEWAY_RETRYABLE,
            id="malformed-json-500",
        ),
    ],
)
def test_a_body_that_is_not_the_documented_json_is_an_error_not_a_crash(
    status, content, content_type, error_type, retried, sdk, service, clock
) -> None:
    route = service.get(task_url(sdk)).respond(
        status, content=content, headers={"Content-Type": content_type}
    )

    with pytest.raises(error_type) as caught:
        sdk.call("get", TASK_ID)

    assert caught.value.status_code == status
    assert attempts(route) == 1 + (MAX_RETRIES if retried else 0)
    assert clock.sleeps == backoff(attempts(route) - 1)


# --- create: retried without paying twice --------------------------------------------


def sent_bodies(route) -> list[dict]:
    return [json.loads(call.request.content) for call in route.calls]


def test_a_create_refused_as_invalid_is_sent_once(sdk, service, small_png) -> None:
    route = service.post(sdk.create_path).respond(400, json=kling_error(1201, "n is too large"))

    with pytest.raises(InvalidRequestError):
        sdk.call("submit", small_png)

    assert attempts(route) == 1


def test_a_create_over_the_rate_limit_is_resent_with_the_same_id(
    sdk, service, clock, small_png, envelope
) -> None:
    route = service.post(sdk.create_path).mock(
        side_effect=[
            httpx.Response(429, json=kling_error(1302), headers={"Retry-After": "3"}),
            httpx.Response(200, json=envelope()),
        ]
    )
    lookups = service.get(sdk.create_path).respond(200, json={"code": 0, "message": "", "data": []})

    task = sdk.call("submit", small_png)

    assert task.id == TASK_ID
    first, second = sent_bodies(route)
    assert first == second
    assert first["external_task_id"]
    assert attempts(lookups) == 0  # a 429 says nothing was created: no need to look
    assert clock.sleeps == [3]


def test_a_create_that_failed_on_the_server_is_looked_up_before_it_is_resent(
    sdk, service, small_png, envelope
) -> None:
    # Given the first create fails with 5000, and no task with its id exists
    route = service.post(sdk.create_path).mock(
        side_effect=[
            httpx.Response(500, json=kling_error(5000)),
            httpx.Response(200, json=envelope()),
        ]
    )
    lookups = service.get(sdk.create_path).respond(200, json={"code": 0, "message": "", "data": []})

    # When the SDK submits
    task = sdk.call("submit", small_png)

    # Then it looked the id up once, found nothing, and sent the same body again
    first, second = sent_bodies(route)
    assert task.id == TASK_ID
    assert first == second
    assert attempts(lookups) == 1
    assert lookups.calls[0].request.url.params["external_task_id"] == first["external_task_id"]


def test_a_create_that_did_land_is_not_sent_again(sdk, service, small_png, task_record) -> None:
    # Given the first create times out on the server, but the task exists
    route = service.post(sdk.create_path).respond(504, json=kling_error(5002))

    def listing(request):
        external = request.url.params["external_task_id"]
        record = task_record(task_info={"external_task_id": external})
        return httpx.Response(200, json={"code": 0, "message": "SUCCEED", "data": [record]})

    service.get(sdk.create_path).mock(side_effect=listing)

    task = sdk.call("submit", small_png)

    assert task.id == TASK_ID
    assert attempts(route) == 1
