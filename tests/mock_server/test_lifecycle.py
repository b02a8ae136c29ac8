"""Tasks move submitted -> processing -> succeed | failed on the mock's clock, never by sleeping."""

import math
from typing import Any

import pytest

from kling_mock import ADMIN_PREFIX

from .conftest import AUTH, Api


def test_a_new_task_is_submitted_with_millisecond_timestamps(api: Api, request_body) -> None:
    now_ms = api.mock.clock.now_ms()

    task = api.created(request_body())

    assert task["task_status"] == "submitted"
    assert task["created_at"] == task["updated_at"] == now_ms
    assert task["task_status_msg"] == ""
    assert task["task_result"] == {}


@pytest.mark.asyncio
@pytest.mark.parametrize("driver", ["sync", "async"])
async def test_the_task_moves_through_its_statuses_as_the_clock_advances(
    make_mock, make_api, request_body, driver: str
) -> None:
    mock = make_mock(submitted_seconds=2, processing_seconds=5)
    api = make_api(mock)
    task_id = api.created(request_body())["task_id"]
    created = api.mock.clock.now_ms()

    async def advance(seconds: float) -> None:
        if driver == "sync":
            mock.advance(seconds)
        else:
            await mock.advance_async(seconds)

    await advance(1.999)
    assert api.task(task_id)["task_status"] == "submitted"
    await advance(0.001)
    processing = api.task(task_id)
    assert (processing["task_status"], processing["updated_at"]) == ("processing", created + 2000)
    await advance(4.999)
    assert api.task(task_id)["task_status"] == "processing"
    await advance(0.001)
    done = api.task(task_id)
    assert (done["task_status"], done["updated_at"]) == ("succeed", created + 7000)
    assert done["created_at"] == created


def test_the_admin_api_advances_the_clock(api: Api, request_body) -> None:
    task_id = api.created(request_body())["task_id"]
    before = api.mock.clock.now_ms()

    answer = api.http.post(f"{ADMIN_PREFIX}/clock/advance", json={"seconds": 3600})

    assert answer.status_code == 200
    assert answer.json()["now_ms"] == before + 3_600_000
    assert api.task(task_id)["task_status"] == "succeed"
    assert api.http.get(f"{ADMIN_PREFIX}/clock").json()["now_ms"] == before + 3_600_000


@pytest.mark.parametrize("seconds", [-1, "soon", None, True])
def test_the_clock_refuses_to_go_back_or_take_nonsense(api: Api, seconds: Any) -> None:
    answer = api.http.post(f"{ADMIN_PREFIX}/clock/advance", json={"seconds": seconds})

    assert answer.status_code == 400
    assert answer.json()["code"] == 1201
    assert "seconds" in answer.json()["message"]


@pytest.mark.parametrize("seconds", [1e306, 10**400], ids=["huge-float", "int-past-floats"])
def test_a_jump_past_the_clock_s_end_is_refused_and_the_mock_keeps_working(
    api: Api, request_body, seconds: Any
) -> None:
    # Given a mock, and a jump that would carry its clock past the year 9999
    before = api.mock.clock.now_ms()

    # When the admin API is asked for it
    answer = api.http.post(f"{ADMIN_PREFIX}/clock/advance", json={"seconds": seconds})

    # Then it is refused, naming the field and the limit, and nothing moved or broke
    assert (answer.status_code, answer.json()["code"]) == (400, 1201)
    assert "seconds" in answer.json()["message"]
    assert "at most" in answer.json()["message"]
    assert api.mock.clock.now_ms() == before
    task_id = api.created(request_body())["task_id"]
    api.mock.advance(3600)
    assert api.task(task_id)["task_status"] == "succeed"


@pytest.mark.parametrize("seconds", [math.inf, math.nan, -0.5, 1e306])
def test_the_python_api_refuses_a_jump_the_clock_cannot_take(mock, seconds: float) -> None:
    before = mock.clock.now_ms()

    with pytest.raises(ValueError, match="seconds"):
        mock.advance(seconds)

    assert mock.clock.now_ms() == before


def test_a_task_told_to_fail_ends_failed_with_a_reason(api: Api, request_body) -> None:
    headers = {**AUTH, "X-Mock-Scenario": "task_fails"}
    task_id = api.created(request_body(), headers=headers)["task_id"]
    assert api.task(task_id)["task_status"] == "submitted"

    api.mock.advance(3600)

    task = api.task(task_id)
    assert task["task_status"] == "failed"
    assert "content" in task["task_status_msg"]
    assert task["task_result"] == {}


def test_the_configured_failure_rate_fails_tasks_reproducibly(make_mock, make_api, request_body):
    def statuses(seed: int) -> list[str]:
        api = make_api(make_mock(task_failure_rate=0.5, seed=seed))
        ids = [api.created(request_body())["task_id"] for _ in range(12)]
        api.mock.advance(3600)
        return [api.task(task_id)["task_status"] for task_id in ids]

    first = statuses(7)

    assert set(first) == {"succeed", "failed"}
    assert statuses(7) == first
