"""Get, list and external-id lookup, per account: another account's tasks do not exist."""

from typing import Any

import pytest

from kling_mock import DEFAULT_DEV_KEY

from .conftest import Api

ALICE, BOB = "alice-key", "bob-key"
KEYS = {DEFAULT_DEV_KEY: "dev", ALICE: "alice", BOB: "bob"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def accounts_api(make_mock, make_api) -> Api:
    api: Api = make_api(make_mock(api_keys=KEYS))
    return api


def refusal(response: Any) -> tuple[int, int]:
    return response.status_code, response.json()["code"]


def test_get_returns_the_task_in_the_success_envelope(api: Api, request_body) -> None:
    created = api.created(request_body(n=2))

    response = api.get(created["task_id"])

    body = response.json()
    assert (body["code"], body["message"]) == (0, "SUCCEED")
    assert body["request_id"]
    assert body["data"]["task_id"] == created["task_id"]


def test_an_unknown_task_is_404_1203_naming_it(api: Api) -> None:
    response = api.get("no-such-task")

    assert refusal(response) == (404, 1203)
    assert "no-such-task" in response.json()["message"]


def test_list_pages_newest_first(api: Api, request_body) -> None:
    ids = []
    for _ in range(5):
        ids.append(api.created(request_body())["task_id"])
        api.mock.advance(1)

    first = api.list(pageNum=1, pageSize=2).json()["data"]
    second = api.list(pageNum=2, pageSize=2).json()["data"]
    third = api.list(pageNum=3, pageSize=2).json()["data"]
    beyond = api.list(pageNum=4, pageSize=2).json()["data"]

    newest_first = list(reversed(ids))
    assert [t["task_id"] for t in first + second + third] == newest_first
    assert beyond == []


def test_list_defaults_come_from_the_spec(api: Api, request_body) -> None:
    default_size = api.mock.service.list_parameters["pageSize"].default
    assert isinstance(default_size, int)
    for _ in range(default_size + 1):
        api.created(request_body())

    assert len(api.list().json()["data"]) == default_size


@pytest.mark.parametrize("name", ["pageNum", "pageSize"])
def test_paging_parameters_out_of_range_are_refused_with_the_limit(api: Api, name: str) -> None:
    schema = api.mock.service.list_parameters[name].schema

    too_big = api.list(**{name: schema["maximum"] + 1})
    too_small = api.list(**{name: schema["minimum"] - 1})
    not_a_number = api.list(**{name: "many"})

    assert refusal(too_big) == refusal(too_small) == refusal(not_a_number) == (400, 1201)
    assert name in too_big.json()["message"]
    assert str(schema["maximum"]) in too_big.json()["message"]


@pytest.mark.parametrize("text", ["\uff11", "1_0", " 5", "+5", "0x10"])
def test_a_page_number_spelled_other_than_ascii_digits_is_refused(api: Api, text: str) -> None:
    # int() would take these; no client sends them as a number
    response = api.list(pageSize=text)

    assert refusal(response) == (400, 1201)
    assert "pageSize" in response.json()["message"]


def test_an_integral_float_page_number_is_an_integer(api: Api, request_body) -> None:
    api.created(request_body())

    assert len(api.list(pageNum="1.0").json()["data"]) == 1


def test_list_filters_by_external_task_id(api: Api, request_body) -> None:
    wanted = api.created(request_body(external_task_id="order-42"))
    api.created(request_body(external_task_id="order-43"))

    found = api.list(external_task_id="order-42").json()["data"]
    missing = api.list(external_task_id="order-44").json()["data"]

    assert [t["task_id"] for t in found] == [wanted["task_id"]]
    assert found[0]["task_info"] == {"external_task_id": "order-42"}
    assert missing == []


def test_the_get_path_also_resolves_an_external_task_id_by_default(api: Api, request_body) -> None:
    created = api.created(request_body(external_task_id="order-42"))

    assert api.task("order-42")["task_id"] == created["task_id"]


def test_resolving_external_ids_in_the_get_path_can_be_switched_off(
    make_mock, make_api, request_body
) -> None:
    api = make_api(make_mock(external_id_lookup="list_filter"))
    created = api.created(request_body(external_task_id="order-42"))

    assert refusal(api.get("order-42")) == (404, 1203)
    assert api.list(external_task_id="order-42").json()["data"][0]["task_id"] == created["task_id"]


# --- accounts ---------------------------------------------------------------------------


def test_no_key_is_401_1001(api: Api) -> None:
    assert refusal(api.list(headers={})) == (401, 1001)
    assert refusal(api.list(headers={"Authorization": "Bearer "})) == (401, 1001)


@pytest.mark.parametrize("value", ["Bearer not-a-key", "Basic dXNlcjpwdw==", "not-a-key"])
def test_an_unknown_key_is_401_1002(api: Api, value: str) -> None:
    assert refusal(api.list(headers={"Authorization": value})) == (401, 1002)


def test_the_key_is_checked_before_the_body(api: Api) -> None:
    response = api.http.post(
        "/kling/v1/images/editing/expand", content=b"{not json", headers=bearer("wrong")
    )

    assert refusal(response) == (401, 1002)


def test_one_account_never_sees_another_accounts_tasks(accounts_api: Api, request_body) -> None:
    api = accounts_api
    alices = api.created(request_body(external_task_id="mine"), headers=bearer(ALICE))

    assert refusal(api.get(alices["task_id"], headers=bearer(BOB))) == (404, 1203)
    assert refusal(api.get("mine", headers=bearer(BOB))) == (404, 1203)
    assert api.list(headers=bearer(BOB)).json()["data"] == []
    assert api.list(external_task_id="mine", headers=bearer(BOB)).json()["data"] == []
    assert api.task(alices["task_id"], headers=bearer(ALICE))["task_id"] == alices["task_id"]


def test_external_task_id_is_unique_per_account(accounts_api: Api, request_body) -> None:
    api = accounts_api
    api.created(request_body(external_task_id="order-1"), headers=bearer(ALICE))

    again = api.create(request_body(external_task_id="order-1"), headers=bearer(ALICE))
    for_bob = api.create(request_body(external_task_id="order-1"), headers=bearer(BOB))

    assert refusal(again) == (400, 1201)
    assert "external_task_id" in again.json()["message"]
    assert "unique per account" in again.json()["message"]
    assert for_bob.status_code == 200


def test_an_empty_external_task_id_is_as_if_absent(api: Api, request_body) -> None:
    first = api.created(request_body(external_task_id=""))
    second = api.create(request_body(external_task_id=""))

    assert second.status_code == 200, second.text
    assert first["task_info"] == second.json()["data"]["task_info"] == {}
    assert api.list(external_task_id="").json()["data"] == []


def test_unknown_paths_and_methods_answer_with_the_envelope(api: Api) -> None:
    nowhere = api.http.get("/kling/v1/videos", headers=bearer(DEFAULT_DEV_KEY))
    wrong_method = api.http.delete("/kling/v1/images/editing/expand")

    assert refusal(nowhere) == (404, 1202)
    assert refusal(wrong_method) == (405, 1202)
    assert "POST" in wrong_method.headers["allow"]
