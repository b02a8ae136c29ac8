"""Kling JWTs: HS256 with the account's secret key, judged on the mock's clock."""

import base64
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from kling_mock import DEFAULT_DEV_KEY, MockKling
from kling_mock._config import DEFAULT_DEV_ACCESS_KEY, DEFAULT_DEV_SECRET_KEY
from kling_mock._gateways import gateway_path
from kling_mock._jwt_auth import MAX_TOKEN_CHARS
from kling_spec import CREATE_PATH

KLING_PATH = gateway_path(CREATE_PATH, "kling")
START = 1_800_000_000
AK, SK = "ak-team-a", "sk-team-a-0123456789abcdef0123456789"


def token(secret: str = DEFAULT_DEV_SECRET_KEY, algorithm: str = "HS256", **claims: Any) -> str:
    payload = {"iss": DEFAULT_DEV_ACCESS_KEY, "exp": START + 1800, "nbf": START - 5}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm)


def unsigned(**claims: Any) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    payload = {"iss": DEFAULT_DEV_ACCESS_KEY, "exp": START + 1800, "nbf": START - 5, **claims}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


@pytest.fixture
def clocked(make_mock: Callable[..., MockKling]) -> MockKling:
    return make_mock(
        clock_start=START,
        kling_keys={DEFAULT_DEV_ACCESS_KEY: (DEFAULT_DEV_SECRET_KEY, "dev"), AK: (SK, "team-a")},
    )


def answer(mock: MockKling, authorization: str | None, path: str = KLING_PATH) -> tuple[int, Any]:
    headers = {} if authorization is None else {"Authorization": authorization}
    with mock.client(api_key=None) as client:
        response = client.get(path, headers=headers)
    return response.status_code, response.json()["code"]


def test_valid_token_authenticates_on_both_families(clocked: MockKling) -> None:
    assert answer(clocked, f"Bearer {token()}") == (200, 0)
    assert answer(clocked, f"Bearer {token()}", CREATE_PATH) == (200, 0)


def test_cometapi_bearer_key_keeps_working_beside_jwts(clocked: MockKling) -> None:
    assert answer(clocked, f"Bearer {DEFAULT_DEV_KEY}", KLING_PATH) == (200, 0)


def test_jwt_account_sees_the_tasks_of_its_bearer_key_twin(
    clocked: MockKling, request_body: Callable[..., dict[str, Any]]
) -> None:
    with clocked.client() as client:  # the CometAPI key of account dev
        task_id = client.post(CREATE_PATH, json=request_body()).json()["data"]["task_id"]
    with clocked.client(api_key=token()) as client:
        assert client.get(f"{KLING_PATH}/{task_id}").status_code == 200
    with clocked.client(api_key=token(SK, iss=AK)) as client:  # another account
        assert client.get(f"{KLING_PATH}/{task_id}").json()["code"] == 1203


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda: token(iss="ak-nobody"), 1002),
        (lambda: token(secret="a-wrong-secret-of-enough-length-0123456789"), 1002),
        (lambda: token(SK), 1002),  # another account's secret
        (lambda: token(nbf=START + 60), 1003),
        (lambda: token(exp=START - 60), 1004),
        (lambda: token(exp=None), 1002),
        (lambda: token(nbf=None), 1002),
        (lambda: token(iss=None), 1002),
        (lambda: token(exp="tomorrow"), 1002),
        (lambda: token("x" * 64, algorithm="HS512"), 1002),
        (unsigned, 1002),
        (lambda: "not.a.jwt", 1002),
        (lambda: "e30.e30.e30", 1002),
        (lambda: token(pad="x" * MAX_TOKEN_CHARS), 1002),
    ],
    ids=[
        "unknown-iss",
        "wrong-secret",
        "other-accounts-secret",
        "not-yet-valid",
        "expired",
        "no-exp",
        "no-nbf",
        "no-iss",
        "exp-not-a-number",
        "hs512",
        "alg-none",
        "garbage",
        "empty-parts",
        "oversized",
    ],
)
def test_bad_token_gets_its_documented_code(
    clocked: MockKling, make_token: Callable[[], str], code: int
) -> None:
    with clocked.client(api_key=None) as client:
        response = client.get(KLING_PATH, headers={"Authorization": f"Bearer {make_token()}"})
    body = response.json()
    assert (response.status_code, body["code"]) == (401, code)
    assert set(body) == {"code", "message", "request_id"}
    assert "JWT" in body["message"]


def test_no_token_is_1001(clocked: MockKling) -> None:
    assert answer(clocked, None) == (401, 1001)
    assert answer(clocked, "Bearer ") == (401, 1001)


def test_times_are_judged_on_the_mock_clock_with_leeway(clocked: MockKling) -> None:
    within = token(exp=START - 4, nbf=START + 4)  # both inside the 5 s leeway
    assert answer(clocked, f"Bearer {within}") == (200, 0)
    clocked.advance(1800 + 6)
    assert answer(clocked, f"Bearer {token()}") == (401, 1004)


def test_short_secret_is_refused_at_start_up(make_mock: Callable[..., MockKling]) -> None:
    with pytest.raises(ValueError, match="shorter than 32 bytes"):
        make_mock(kling_keys={AK: ("short", "team-a")})
