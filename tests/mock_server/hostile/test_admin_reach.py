"""Admin routes need the admin token when one is set, and an account cannot reach them."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kling_mock import ADMIN_PREFIX, MockConfig, MockKling
from kling_spec import CREATE_PATH

from .peers import SOCKET_SECONDS, served, wait_until

TOKEN = "admin-token-for-tests"
KEYS = {"key-alice": "alice", "key-bob": "bob"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/clock"),
        ("POST", "/clock/advance"),
        ("GET", "/faults"),
        ("GET", "/journal"),
        ("GET", "/deliveries"),
        ("POST", "/reset"),
    ],
)
def test_with_an_admin_token_every_admin_route_needs_it(
    make_mock, make_api, request_body, method, path
) -> None:
    api = make_api(make_mock(admin_token=TOKEN))
    task_id = api.created(request_body())["task_id"]
    url = ADMIN_PREFIX + path
    body = {"seconds": 1} if path == "/clock/advance" else None

    missing = api.http.request(method, url, json=body)
    dev_key = api.http.request(method, url, json=body, headers=api.mock.headers())
    right = api.http.request(method, url, json=body, headers=bearer(TOKEN))

    assert (missing.status_code, missing.json()["code"]) == (401, 1001)
    assert (dev_key.status_code, dev_key.json()["code"]) == (401, 1002)
    assert right.status_code == 200, right.text
    if path != "/reset":  # the API itself is unaffected by the admin token
        assert api.task(task_id)["task_id"] == task_id


def test_with_an_admin_token_the_api_routes_work_as_before(
    make_mock, make_api, request_body
) -> None:
    api = make_api(make_mock(admin_token=TOKEN))
    task_id = api.created(request_body())["task_id"]

    assert api.task(task_id)["task_status"] == "submitted"
    assert api.list().status_code == 200
    assert api.create(request_body(), headers={}).json()["code"] == 1001  # still its own key


def account_survives_a_callback_to_the_admin_reset(
    request_body: Callable[..., dict[str, Any]], admin_token: str | None
) -> tuple[bool, list[Any]]:
    """Bob's task posts its callback to the mock's own reset route: is Alice's task kept,
    and what did the attempts get?"""
    mock = MockKling(MockConfig(api_keys=KEYS, admin_token=admin_token))
    admin = bearer(admin_token) if admin_token else {}
    with (
        served(mock, shutdown_seconds=1) as server,
        httpx.Client(base_url=server.base_url, timeout=SOCKET_SECONDS) as client,
    ):
        alice = client.post(CREATE_PATH, json=request_body(), headers=bearer("key-alice"))
        alice_task = alice.json()["data"]["task_id"]
        hostile = request_body(callback_url=server.base_url + ADMIN_PREFIX + "/reset")
        assert client.post(CREATE_PATH, json=hostile, headers=bearer("key-bob")).status_code == 200

        advanced = client.post(ADMIN_PREFIX + "/clock/advance", json={"seconds": 0}, headers=admin)
        assert advanced.status_code == 200, advanced.text
        assert wait_until(lambda: all(d.attempts for d in mock.deliveries), SOCKET_SECONDS)

        found = client.get(f"{CREATE_PATH}/{alice_task}", headers=bearer("key-alice"))
    answered = [
        attempt.get("status", attempt.get("error"))
        for d in mock.deliveries
        for attempt in d.attempts
    ]
    return found.status_code == 200, answered


def test_with_an_admin_token_a_callback_cannot_reset_another_account(request_body) -> None:
    survived, answered = account_survives_a_callback_to_the_admin_reset(request_body, TOKEN)
    assert survived
    assert len(answered) == 1 and "this mock itself" in answered[0]


def test_without_an_admin_token_a_callback_cannot_reset_another_account(request_body) -> None:
    survived, answered = account_survives_a_callback_to_the_admin_reset(request_body, None)
    assert survived, f"another account's task is gone; the callback got {answered}"
    assert len(answered) == 1 and "this mock itself" in answered[0]
