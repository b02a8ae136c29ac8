"""Every answer the mock gives matches the response schema the resolved spec documents for it."""

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from kling_spec import CREATE_PATH, TASK_PATH, load_resolved_spec

from .conftest import AUTH, Api, C, b64

SPEC = load_resolved_spec()
SPEC_URI = "urn:kling-mock-test:spec"
REGISTRY = Registry().with_resource(
    SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012)
)


def response_validator(path: str, method: str, status: int) -> Draft202012Validator:
    """The documented schema of one response, references resolved through the whole spec."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    response = SPEC["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        pointer = response["$ref"].lstrip("#")
    else:
        pointer = f"/paths/{escaped}/{method}/responses/{status}"
    schema = {"$ref": f"{SPEC_URI}#{pointer}/content/application~1json/schema"}
    return Draft202012Validator(schema, registry=REGISTRY)


def assert_documented(path: str, method: str, response: Any) -> None:
    validator = response_validator(path, method, response.status_code)
    errors = [error.message for error in validator.iter_errors(response.json())]
    assert errors == [], (response.status_code, response.json())


@pytest.fixture
def tasks_in_every_state(api: Api, request_body, png) -> dict[str, str]:
    """A task in each status, with every optional part of the record exercised."""
    up = C.vertical_fields[0]
    failed = api.created(request_body(), headers={**AUTH, "X-Mock-Scenario": "task_fails"})
    done = api.created(
        request_body(
            image=b64(png()),
            n=3,
            external_task_id="order-7",
            watermark_info={"enabled": True},
            callback_url="http://127.0.0.1:9/hook",
            **{up: 0.5},
        )
    )
    api.mock.advance(3600)
    processing = api.created(request_body())
    api.mock.advance(api.mock.config.submitted_seconds)
    submitted = api.created(request_body())
    return {
        "submitted": submitted["task_id"],
        "processing": processing["task_id"],
        "succeed": done["task_id"],
        "failed": failed["task_id"],
    }


def test_task_records_in_every_state_match_the_spec(api: Api, tasks_in_every_state) -> None:
    for status, task_id in tasks_in_every_state.items():
        response = api.get(task_id)

        assert response.json()["data"]["task_status"] == status
        assert_documented(TASK_PATH, "get", response)


def test_lists_match_the_spec(api: Api, tasks_in_every_state) -> None:
    assert_documented(CREATE_PATH, "get", api.list())
    assert_documented(CREATE_PATH, "get", api.list(external_task_id="order-7"))


def test_creation_matches_the_spec(api: Api, request_body) -> None:
    assert_documented(CREATE_PATH, "post", api.create(request_body()))


@pytest.mark.parametrize(
    "scenario",
    [
        "rate_limited",
        "server_error",
        "unavailable",
        "timeout",
        "policy_block",
        "gateway_rate_limited",
        "gateway_error",
        "gateway_unavailable",
    ],
)
def test_fault_answers_match_the_spec(api: Api, request_body, scenario: str) -> None:
    response = api.create(request_body(), headers={**AUTH, "X-Mock-Scenario": scenario})

    assert_documented(CREATE_PATH, "post", response)


def test_refusals_match_the_spec(api: Api, request_body) -> None:
    assert_documented(CREATE_PATH, "post", api.create(request_body(n=0)))
    assert_documented(CREATE_PATH, "post", api.create(request_body(), headers={}))
    assert_documented(TASK_PATH, "get", api.get("missing"))
    assert_documented(CREATE_PATH, "get", api.list(pageSize=0))
