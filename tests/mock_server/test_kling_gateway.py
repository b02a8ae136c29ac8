"""Both path families, CometAPI's (/kling/v1/...) and Kling's (/v1/...), reach one service."""

from collections.abc import Callable
from typing import Any

import pytest

from kling_mock import DEFAULT_DEV_KEY, MockKling
from kling_mock._gateways import checked_gateways, gateway_path
from kling_spec import CREATE_PATH

KLING_PATH = gateway_path(CREATE_PATH, "kling")
AUTH = {"Authorization": f"Bearer {DEFAULT_DEV_KEY}"}


def test_kling_path_is_the_spec_path_without_cometapi_prefix() -> None:
    assert KLING_PATH == "/v1/images/editing/expand"
    assert gateway_path(CREATE_PATH, "cometapi") == CREATE_PATH


def test_task_created_on_one_family_is_seen_on_the_other(
    mock: MockKling, request_body: Callable[..., dict[str, Any]]
) -> None:
    with mock.client() as client:
        created = client.post(KLING_PATH, json=request_body()).json()["data"]
        mock.advance(60)
        via_cometapi = client.get(f"{CREATE_PATH}/{created['task_id']}").json()["data"]
        via_kling = client.get(f"{KLING_PATH}/{created['task_id']}").json()["data"]
        listed = client.get(KLING_PATH, params={"pageNum": 1, "pageSize": 30}).json()["data"]
    assert via_cometapi == via_kling
    assert via_kling["task_status"] == "succeed"
    assert [task["task_id"] for task in listed] == [created["task_id"]]


def test_kling_family_journaled_like_cometapi(
    mock: MockKling, request_body: Callable[..., dict[str, Any]]
) -> None:
    with mock.client() as client:
        client.post(KLING_PATH, json=request_body())
    assert [entry.path for entry in mock.journal] == [KLING_PATH]


@pytest.mark.parametrize(
    ("gateways", "served", "refused"),
    [(("cometapi",), CREATE_PATH, KLING_PATH), (("kling",), KLING_PATH, CREATE_PATH)],
)
def test_gateways_setting_serves_only_the_chosen_family(
    make_mock: Callable[..., MockKling],
    request_body: Callable[..., dict[str, Any]],
    gateways: tuple[str, ...],
    served: str,
    refused: str,
) -> None:
    mock = make_mock(gateways=gateways)
    with mock.client() as client:
        assert client.post(served, json=request_body()).json()["code"] == 0
        answer = client.post(refused, json=request_body())
    assert (answer.status_code, answer.json()["code"]) == (404, 1202)


def test_unknown_gateway_is_refused_at_start_up(make_mock: Callable[..., MockKling]) -> None:
    with pytest.raises(ValueError, match="gateways must name at least one of cometapi, kling"):
        make_mock(gateways=("kling", "openai"))
    with pytest.raises(ValueError, match="gateways"):
        checked_gateways([])
