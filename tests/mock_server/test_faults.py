"""Faults on demand: by request header, by the admin API or Python API, and by seeded rates."""

from typing import Any

import pytest

from kling_mock import ADMIN_PREFIX, SCENARIO_HEADER, SCENARIOS

from .conftest import AUTH, Api

KLING_FAULTS = [
    ("rate_limited", 429, 1302, True),
    ("concurrency_limited", 429, 1303, True),
    ("server_error", 500, 5000, False),
    ("unavailable", 503, 5001, True),
    ("timeout", 504, 5002, False),
]
GATEWAY_FAULTS = [
    ("gateway_rate_limited", 429, True),
    ("gateway_error", 500, False),
    ("gateway_unavailable", 503, True),
    ("gateway_timeout", 524, False),
]


def with_scenario(name: str) -> dict[str, str]:
    return {**AUTH, SCENARIO_HEADER: name}


@pytest.mark.parametrize("operation", ["create", "get", "list"])
@pytest.mark.parametrize("scenario, status, code, retry_after", KLING_FAULTS)
def test_a_scenario_header_answers_with_kling_s_envelope(
    api: Api, request_body, operation, scenario, status, code, retry_after
) -> None:
    headers = with_scenario(scenario)
    response = {
        "create": lambda: api.create(request_body(), headers=headers),
        "get": lambda: api.get("any", headers=headers),
        "list": lambda: api.list(headers=headers),
    }[operation]()

    assert response.status_code == status
    assert response.json()["code"] == code
    assert set(response.json()) == {"code", "message", "request_id"}
    assert ("retry-after" in response.headers) is retry_after


@pytest.mark.parametrize("scenario, status, retry_after", GATEWAY_FAULTS)
def test_gateway_scenarios_answer_with_cometapi_s_body(
    api: Api, request_body, scenario, status, retry_after
) -> None:
    response = api.create(request_body(), headers=with_scenario(scenario))

    assert response.status_code == status
    error = response.json()["error"]
    assert error["type"] == "comet_api_error" and error["message"]
    assert ("retry-after" in response.headers) is retry_after


def test_a_valid_request_can_be_blocked_by_content_policy(api: Api, request_body) -> None:
    blocked = api.create(request_body(), headers=with_scenario("policy_block"))

    assert (blocked.status_code, blocked.json()["code"]) == (400, 1301)
    assert api.list().json()["data"] == []


def test_validation_comes_before_the_policy_block(api: Api, request_body) -> None:
    response = api.create(request_body(n=0), headers=with_scenario("policy_block"))

    assert response.json()["code"] == 1201


def test_slow_adds_latency_on_the_mock_s_clock(make_mock, make_api, request_body) -> None:
    api: Api = make_api(make_mock(slow_seconds=7))
    before = api.mock.clock.now_ms()

    response = api.create(request_body(), headers=with_scenario("slow"))

    assert response.status_code == 200
    assert api.mock.clock.now_ms() - before == 7000


def test_an_unknown_scenario_is_refused_naming_the_known_ones(api: Api) -> None:
    response = api.list(headers=with_scenario("meteor"))

    assert (response.status_code, response.json()["code"]) == (400, 1200)
    assert all(name in response.json()["message"] for name in SCENARIOS)


def test_the_admin_api_queues_faults_for_the_next_requests(api: Api) -> None:
    answer = api.http.post(f"{ADMIN_PREFIX}/faults", json={"scenario": "unavailable", "times": 2})

    assert answer.json()["queued"] == [{"scenario": "unavailable", "times": 2}]
    assert [api.list().status_code for _ in range(3)] == [503, 503, 200]


def test_a_fault_queued_a_billion_times_costs_one_entry(api: Api) -> None:
    times = 10**9
    answer = api.http.post(f"{ADMIN_PREFIX}/faults", json={"scenario": "slow", "times": times})

    assert answer.status_code == 200
    assert answer.json()["queued"] == [{"scenario": "slow", "times": times}]


def test_queued_runs_are_capped_with_a_clear_refusal(api: Api) -> None:
    from kling_mock._faults import MAX_QUEUED_RUNS

    for _ in range(MAX_QUEUED_RUNS):
        api.mock.fail_next("server_error")

    answer = api.http.post(f"{ADMIN_PREFIX}/faults", json={"scenario": "server_error"})

    assert (answer.status_code, answer.json()["code"]) == (400, 1201)
    assert str(MAX_QUEUED_RUNS) in answer.json()["message"]


@pytest.mark.parametrize("scenario", ["task_fails", "policy_block"])
def test_a_create_only_fault_waits_for_a_create(api: Api, request_body, scenario: str) -> None:
    # Given a create-only fault queued, and a task to poll
    task_id = api.created(request_body())["task_id"]
    api.mock.fail_next(scenario)

    # When the client polls and lists first
    assert api.get(task_id).status_code == 200
    assert api.list().status_code == 200

    # Then the fault is still there for the next create, which takes it
    assert api.mock.service.faults.queued == [{"scenario": scenario, "times": 1}]
    created = api.create(request_body())
    if scenario == "policy_block":
        assert (created.status_code, created.json()["code"]) == (400, 1301)
    else:
        assert created.status_code == 200
        api.mock.advance(3600)
        assert api.task(created.json()["data"]["task_id"])["task_status"] == "failed"
    assert api.mock.service.faults.queued == []


def test_the_python_api_queues_faults_too(api: Api) -> None:
    api.mock.fail_next("rate_limited")

    assert [api.list().status_code for _ in range(2)] == [429, 200]


def test_faults_apply_after_authentication(api: Api) -> None:
    api.mock.fail_next("server_error")

    assert api.list(headers={}).status_code == 401
    assert api.list().status_code == 500


def test_configured_rates_are_seeded_and_reproducible(make_mock, make_api) -> None:
    def statuses(seed: int) -> list[int]:
        api = make_api(make_mock(fault_rates={"rate_limited": 0.5}, seed=seed))
        return [api.list().status_code for _ in range(20)]

    first = statuses(3)

    assert set(first) == {200, 429}
    assert statuses(3) == first


def test_rates_can_be_changed_and_reset_through_the_admin_api(api: Api) -> None:
    api.http.post(f"{ADMIN_PREFIX}/faults", json={"rates": {"server_error": 1.0}})
    assert api.list().status_code == 500

    api.http.delete(f"{ADMIN_PREFIX}/faults")

    assert api.list().status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"scenario": "meteor"},
        {"rates": {"server_error": 2}},
        {"rates": {"server_error": True}},
        {"rates": {"server_error": "0.5"}},
        {"rates": [["server_error", 0.5]]},
        {"rates": None},
        {"scenario": "slow", "times": 0},
        {"scenario": "slow", "times": "many"},
        {"scenario": "slow", "times": 2.5},
    ],
)
def test_the_admin_api_refuses_nonsense_faults(api: Api, body: dict[str, Any]) -> None:
    response = api.http.post(f"{ADMIN_PREFIX}/faults", json=body)

    assert (response.status_code, response.json()["code"]) == (400, 1201)
    # Nothing half-taken: the API still answers as before
    assert api.list().status_code == 200


def test_unknown_configured_scenarios_fail_at_start_up(make_mock) -> None:
    with pytest.raises(ValueError, match="meteor"):
        make_mock(fault_rates={"meteor": 0.1})


def test_every_kling_fault_answers_with_the_status_the_spec_lists_for_its_code() -> None:
    from kling_mock._faults import SCENARIOS, refusal_for
    from kling_spec import error_codes

    table = error_codes()
    for scenario in SCENARIOS:
        error = refusal_for(scenario, retry_after_seconds=1)
        if error is None or not isinstance(error.code, int):
            continue
        assert error.status == table[error.code].http_status, scenario
