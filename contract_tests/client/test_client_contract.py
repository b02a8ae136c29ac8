"""The SDK against every answer the service documents, over respx (no network).

For each answer: the exact exception type, its fields, how many requests were
sent and what they were, and how long the SDK waited between them (on a
controlled clock: nothing sleeps for real). Sync and async clients alike.
"""

import json

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
    ServerError,
)
from kling_spec import CREATE_PATH, load_resolved_spec

from .conftest import MAX_RETRIES, TASK_ID

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
GATEWAY_ANSWERS = [
    (status, GATEWAY_ERRORS.get(status, ServerError), status in GATEWAY_RETRYABLE)
    for status in sorted({400, 401} | GATEWAY_RETRYABLE)
]


def test_every_family_of_codes_has_its_class() -> None:
    assert all(error_type is not None for _, _, error_type, _ in KLING_ANSWERS)


def task_url(task_id: str = TASK_ID) -> str:
    return f"{CREATE_PATH}/{task_id}"


def kling_error(code, message="refused by the contract test"):
    return {"code": code, "message": message, "request_id": "req-contract"}


def gateway_error(status):
    return {"error": {"message": f"gateway says {status}", "type": "comet_api_error", "code": ""}}


def attempts(route) -> int:
    return route.call_count


@pytest.mark.parametrize(
    ("status", "code", "error_type", "retried"),
    KLING_ANSWERS,
    ids=[f"{status}-{code}" for status, code, _, _ in KLING_ANSWERS],
)
def test_each_kling_error_code_becomes_its_exception(
    status, code, error_type, retried, sdk, service, clock
) -> None:
    # Given the service answers every get with this documented error
    route = service.get(task_url()).respond(status, json=kling_error(code))

    # When the SDK asks for the task
    with pytest.raises(error_type) as caught:
        sdk.call("get", TASK_ID)

    # Then the exact type carries the answer, after retries only where Kling advises them
    error = caught.value
    assert type(error) is error_type
    assert (error.status_code, error.code, error.request_id) == (status, code, "req-contract")
    assert attempts(route) == 1 + (MAX_RETRIES if retried else 0)
    assert len(clock.sleeps) == attempts(route) - 1
    assert all(seconds >= 1 for seconds in clock.sleeps)  # Kling: back off from at least 1 s
    assert clock.sleeps == sorted(clock.sleeps)
    for call in route.calls:
        assert call.request.headers["authorization"] == f"Bearer {sdk.api_key}"


@pytest.mark.parametrize(
    ("status", "error_type", "retried"), GATEWAY_ANSWERS, ids=[str(a[0]) for a in GATEWAY_ANSWERS]
)
def test_each_gateway_error_becomes_its_exception(
    status, error_type, retried, sdk, service, clock
) -> None:
    route = service.get(task_url()).respond(status, json=gateway_error(status))

    with pytest.raises(error_type) as caught:
        sdk.call("get", TASK_ID)

    assert type(caught.value) is error_type
    assert caught.value.status_code == status
    assert f"gateway says {status}" in str(caught.value)
    assert attempts(route) == 1 + (MAX_RETRIES if retried else 0)


def test_retry_after_sets_the_wait_between_attempts(sdk, service, clock) -> None:
    route = service.get(task_url()).respond(
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
    route = service.get(task_url()).mock(
        side_effect=[
            httpx.Response(503, json=kling_error(5001), headers={"Retry-After": "2"}),
            httpx.Response(200, json=envelope()),
        ]
    )

    task = sdk.call("get", TASK_ID)

    assert task.id == TASK_ID
    assert attempts(route) == 2
    assert clock.sleeps == [2]


def test_a_code_sent_as_a_string_is_read_as_the_number(sdk, service) -> None:
    service.get(task_url()).respond(429, json=kling_error("1303"))

    with pytest.raises(RateLimitError) as caught:
        sdk.call("get", TASK_ID)

    assert caught.value.code == 1303


def test_unknown_extra_fields_are_ignored(sdk, service, envelope) -> None:
    body = envelope(new_field={"nested": [1, 2]}) | {"surprise": True}
    service.get(task_url()).respond(200, json=body)

    task = sdk.call("get", TASK_ID)

    assert (task.id, task.status) == (TASK_ID, "submitted")


def test_a_status_outside_the_enum_is_kept_and_waited_on(sdk, service, clock, envelope) -> None:
    # Given the task reports a status the spec does not know, then succeeds
    unknown = envelope(task_status="queued_for_gpu")
    done = envelope(
        task_status="succeed",
        task_result={"images": [{"index": 0, "url": "https://cdn.kling.test/0.png"}]},
    )
    route = service.get(task_url()).mock(
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
        (200, b'{"code": 0, "data": ', "application/json", APIResponseValidationError, False),
        (200, b"<html><body>Welcome</body></html>", "text/html", APIResponseValidationError, False),
        (502, b"<html><h1>502 Bad Gateway</h1></html>", "text/html", ServerError, True),
        (500, b'{"code": 5000, "mess', "application/json", ServerError, True),
    ],
    ids=["malformed-json-200", "html-200", "html-502", "malformed-json-500"],
)
def test_a_body_that_is_not_the_documented_json_is_an_error_not_a_crash(
    status, content, content_type, error_type, retried, sdk, service
) -> None:
    route = service.get(task_url()).respond(
        status, content=content, headers={"Content-Type": content_type}
    )

    with pytest.raises(error_type) as caught:
        sdk.call("get", TASK_ID)

    assert caught.value.status_code == status
    assert attempts(route) == 1 + (MAX_RETRIES if retried else 0)


# --- create: retried without paying twice --------------------------------------------


def sent_bodies(route) -> list[dict]:
    return [json.loads(call.request.content) for call in route.calls]


def test_a_create_refused_as_invalid_is_sent_once(sdk, service, small_png) -> None:
    route = service.post(CREATE_PATH).respond(400, json=kling_error(1201, "n is too large"))

    with pytest.raises(InvalidRequestError):
        sdk.call("submit", small_png)

    assert attempts(route) == 1


def test_a_create_over_the_rate_limit_is_resent_with_the_same_id(
    sdk, service, clock, small_png, envelope
) -> None:
    route = service.post(CREATE_PATH).mock(
        side_effect=[
            httpx.Response(429, json=kling_error(1302), headers={"Retry-After": "3"}),
            httpx.Response(200, json=envelope()),
        ]
    )
    lookups = service.get(CREATE_PATH).respond(200, json={"code": 0, "message": "", "data": []})

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
    route = service.post(CREATE_PATH).mock(
        side_effect=[
            httpx.Response(500, json=kling_error(5000)),
            httpx.Response(200, json=envelope()),
        ]
    )
    lookups = service.get(CREATE_PATH).respond(200, json={"code": 0, "message": "", "data": []})

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
    route = service.post(CREATE_PATH).respond(504, json=kling_error(5002))

    def listing(request):
        external = request.url.params["external_task_id"]
        record = task_record(task_info={"external_task_id": external})
        return httpx.Response(200, json={"code": 0, "message": "SUCCEED", "data": [record]})

    service.get(CREATE_PATH).mock(side_effect=listing)

    task = sdk.call("submit", small_png)

    assert task.id == TASK_ID
    assert attempts(route) == 1
