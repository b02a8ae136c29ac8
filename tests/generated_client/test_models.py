"""The generated client parses every shape the service documents, and survives surprises."""

from typing import Any

import httpx
import pytest

from kling_expand_api import AuthenticatedClient
from kling_expand_api.api.image_expansion import get_image_expansion_task, kling_image_expansion
from kling_expand_api.models import (
    ErrorEnvelope,
    ExpandImageRequest,
    GatewayError,
    TaskEnvelope,
    TaskResult,
    TaskStatus,
)
from kling_spec import CREATE_PATH, load_resolved_spec


def documented_example() -> dict[str, Any]:
    body = load_resolved_spec()["paths"][CREATE_PATH]["post"]["requestBody"]
    return body["content"]["application/json"]["examples"]["Default"]["value"]


def test_the_documented_example_request_round_trips() -> None:
    example = documented_example()

    assert ExpandImageRequest.from_dict(example).to_dict() == example


@pytest.mark.parametrize("status", [s.value for s in TaskStatus])
def test_envelopes_parse_for_every_documented_status(envelope, status: str) -> None:
    parsed = TaskEnvelope.from_dict(envelope(task_status=status))

    assert parsed.data.task_status == TaskStatus(status)


@pytest.mark.parametrize("code", [0, "0"])
def test_code_is_accepted_as_integer_or_string(envelope, code: Any) -> None:
    assert TaskEnvelope.from_dict(envelope(code=code)).code == code


def test_a_null_task_result_is_none(envelope) -> None:
    assert TaskEnvelope.from_dict(envelope(task_result=None)).data.task_result is None


def test_a_finished_task_result_lists_its_images(envelope) -> None:
    images = [
        {"index": 0, "url": "https://cdn/0.png"},
        {"index": 1, "url": "https://cdn/1.png", "watermark_url": "https://cdn/1-wm.png"},
    ]

    result = TaskEnvelope.from_dict(
        envelope(task_status="succeed", task_result={"images": images})
    ).data.task_result

    assert isinstance(result, TaskResult) and isinstance(result.images, list)
    assert [(i.index, i.url) for i in result.images] == [
        (0, "https://cdn/0.png"),
        (1, "https://cdn/1.png"),
    ]
    assert result.images[1].watermark_url == "https://cdn/1-wm.png"


def test_unknown_extra_fields_are_kept_and_written_back(envelope) -> None:
    raw = envelope(queue_position=3)
    raw["trace"] = {"hop": 1}

    parsed = TaskEnvelope.from_dict(raw)

    assert parsed.data.additional_properties == {"queue_position": 3}
    assert parsed.additional_properties == {"trace": {"hop": 1}}
    assert parsed.to_dict() == raw


def test_a_status_the_spec_does_not_list_is_kept_as_a_plain_string(envelope) -> None:
    parsed = TaskEnvelope.from_dict(envelope(task_status="queued"))

    assert parsed.data.task_status == "queued"
    assert not isinstance(parsed.data.task_status, TaskStatus)


def transport_answering(
    status: int, body: dict[str, Any], seen: list[httpx.Request]
) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


def test_create_sends_the_body_and_bearer_key_and_parses_the_envelope(envelope) -> None:
    seen: list[httpx.Request] = []
    client = AuthenticatedClient(
        base_url="https://api.test",
        token="sk-test",
        httpx_args={"transport": transport_answering(200, envelope(), seen)},
    )

    response = kling_image_expansion.sync_detailed(
        client=client, body=ExpandImageRequest.from_dict(documented_example())
    )

    assert isinstance(response.parsed, TaskEnvelope)
    assert seen[0].url.path == CREATE_PATH
    assert seen[0].headers["Authorization"] == "Bearer sk-test"
    assert httpx.Response(200, content=seen[0].content).json() == documented_example()


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (404, {"code": 1203, "message": "task not found", "request_id": "r"}, ErrorEnvelope),
        (
            429,
            {"error": {"message": "slow down", "type": "comet_api_error", "code": None}},
            GatewayError,
        ),
    ],
)
def test_error_bodies_parse_into_the_kling_or_the_gateway_model(status, body, kind) -> None:
    seen: list[httpx.Request] = []
    client = AuthenticatedClient(
        base_url="https://api.test",
        token="k",
        httpx_args={"transport": transport_answering(status, body, seen)},
    )

    response = get_image_expansion_task.sync_detailed("t-1", client=client)

    assert response.status_code == status
    assert isinstance(response.parsed, kind)
    assert seen[0].url.path.endswith("/t-1")
