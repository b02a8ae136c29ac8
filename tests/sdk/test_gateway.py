"""Kling direct: access-key JWTs, Kling's host and paths; CometAPI's key keeps CometAPI."""

from __future__ import annotations

import io
import logging
from typing import Any

import httpx
import jwt
import pytest

from kling_expand import AsyncKlingExpand, AuthenticationError, ConfigurationError, KlingExpand
from kling_expand._cli import main
from kling_expand._gateway import (
    KLING_DIRECT_BASE_URL,
    TOKEN_LIFETIME_S,
    TOKEN_RENEW_BEFORE_S,
    resolve_gateway,
)
from kling_expand._retry import SystemClock

kling_mock = pytest.importorskip("kling_mock")

ACCESS_KEY = kling_mock.DEFAULT_DEV_ACCESS_KEY
SECRET_KEY = kling_mock.DEFAULT_DEV_SECRET_KEY
KLING_CREATE = f"{KLING_DIRECT_BASE_URL}/v1/images/editing/expand"
IMAGE_URL = "https://example.com/a.jpg"


@pytest.fixture
def mock() -> Any:
    return kling_mock.MockKling(kling_mock.MockConfig(submitted_seconds=1, processing_seconds=2))


@pytest.fixture
def sent() -> list[httpx.Request]:
    """Every request the ``direct`` client sent, as sent."""
    return []


@pytest.fixture
def direct(mock, sent):
    """A blocking client on the mock's Kling gateway, in process, on the mock's clock."""
    http = mock.client(api_key=None, event_hooks={"request": [sent.append]})
    with KlingExpand(
        access_key=ACCESS_KEY, secret_key=SECRET_KEY, http_client=http, clock=mock.clock
    ) as client:
        yield client
    http.close()


def bearer_tokens(sent: list[httpx.Request]) -> list[str]:
    return [
        request.headers["authorization"].removeprefix("Bearer ")
        for request in sent
        if request.url.path.startswith("/v1/")
    ]


def test_kling_keys_reach_kling_own_paths_and_finish_a_task(direct, mock, tmp_path):
    result = direct.expand(IMAGE_URL, up=0.2, n=2)
    assert len(result.save(tmp_path)) == 2
    paths = {entry.path.split("?")[0] for entry in mock.journal}
    assert "/v1/images/editing/expand" in paths
    assert not [path for path in paths if path.startswith("/kling/")]


def test_the_token_is_an_hs256_jwt_of_the_access_key_checked_by_pyjwt(direct, mock, sent):
    direct.submit(IMAGE_URL, up=0.2)
    (token,) = bearer_tokens(sent)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["iss"] == ACCESS_KEY
    assert claims["nbf"] < mock.clock.now() < claims["exp"]


def test_one_token_is_reused_until_shortly_before_it_expires(direct, mock, sent):
    direct.submit(IMAGE_URL, up=0.2)
    direct.submit(IMAGE_URL, up=0.3)
    mock.advance(TOKEN_LIFETIME_S - TOKEN_RENEW_BEFORE_S + 1)
    direct.submit(IMAGE_URL, up=0.4)
    first, second, third = bearer_tokens(sent)
    assert first == second != third


class SteppedClock(SystemClock):
    """Unix time that moves only when a test says so."""

    def __init__(self, start: float) -> None:
        self.at = start

    def now(self) -> float:
        return self.at


def test_an_expired_token_is_renewed_once_and_the_create_resent(router):
    clock = SteppedClock(1_800_000_000)
    accepted = {"code": 0, "message": "SUCCEED", "request_id": "r2"}
    accepted["data"] = {
        "task_id": "t1",
        "task_status": "submitted",
        "created_at": 0,
        "updated_at": 0,
    }
    answers = iter(
        [
            httpx.Response(401, json={"code": 1004, "message": "expired", "request_id": "r1"}),
            httpx.Response(200, json=accepted),
        ]
    )

    def answer(request: httpx.Request) -> httpx.Response:
        clock.at += 30  # the refusal took a while
        return next(answers)

    create = router.post(KLING_CREATE).mock(side_effect=answer)
    client = KlingExpand(access_key=ACCESS_KEY, secret_key=SECRET_KEY, max_retries=0, clock=clock)
    with client:
        assert client.submit(IMAGE_URL, up=0.2).id == "t1"
    sent = [call.request.headers["authorization"] for call in create.calls]
    assert len(sent) == 2 and sent[0] != sent[1]
    renewed = jwt.decode(sent[1].removeprefix("Bearer "), options={"verify_signature": False})
    assert renewed["nbf"] == 1_800_000_030 - 5  # minted after the refusal


def test_a_token_refused_as_expired_twice_is_raised_after_one_renewal(router):
    create = router.post(KLING_CREATE).respond(401, json={"code": 1004, "message": "expired"})
    with KlingExpand(access_key=ACCESS_KEY, secret_key=SECRET_KEY) as client:
        with pytest.raises(AuthenticationError) as caught:
            client.submit(IMAGE_URL, up=0.2)
    assert caught.value.code == 1004 and create.call_count == 2


def test_a_token_not_yet_valid_is_called_a_clock_problem_and_not_resent(router):
    create = router.post(KLING_CREATE).respond(401, json={"code": 1003, "message": "nbf"})
    with KlingExpand(access_key=ACCESS_KEY, secret_key=SECRET_KEY) as client:
        with pytest.raises(AuthenticationError, match="clock") as caught:
            client.submit(IMAGE_URL, up=0.2)
    assert caught.value.code == 1003 and create.call_count == 1


def test_a_cometapi_key_refused_as_expired_is_not_resent(router):
    url = "https://api.cometapi.com/kling/v1/images/editing/expand"
    create = router.post(url).respond(401, json={"code": 1004, "message": "expired"})
    with KlingExpand(api_key="sk-static") as client, pytest.raises(AuthenticationError):
        client.submit(IMAGE_URL, up=0.2)
    assert create.call_count == 1


def test_neither_key_appears_in_a_repr_an_error_or_a_log_line(router, caplog):
    router.post(KLING_CREATE).respond(
        401, json={"code": 1002, "message": f"bad {ACCESS_KEY} {SECRET_KEY}"}
    )
    caplog.set_level(logging.DEBUG)
    client = AsyncKlingExpand(access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    blocking = KlingExpand(access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    with pytest.raises(AuthenticationError) as caught:
        blocking.submit(IMAGE_URL, up=0.2)
    shown = " ".join(
        [repr(client), repr(blocking), str(caught.value)]
        + [repr(caught.value.body)]
        + [record.getMessage() for record in caplog.records]
    )
    assert "access_key='***'" in repr(blocking)
    assert ACCESS_KEY not in shown and SECRET_KEY not in shown
    blocking.close()


def test_the_environment_keys_choose_kling_and_a_cometapi_key_wins_over_them(monkeypatch):
    monkeypatch.delenv("COMETAPI_KEY", raising=False)
    monkeypatch.delenv("KLING_BASE_URL", raising=False)
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)
    with KlingExpand() as client:
        assert client.base_url == KLING_DIRECT_BASE_URL
    monkeypatch.setenv("COMETAPI_KEY", "sk-env")
    with KlingExpand() as client:
        assert client.base_url == "https://api.cometapi.com"
    with KlingExpand(gateway="kling") as client:
        assert client.base_url == KLING_DIRECT_BASE_URL


@pytest.mark.parametrize(
    "arguments",
    [
        {"access_key": ACCESS_KEY},
        {"secret_key": SECRET_KEY},
        {"api_key": "sk", "access_key": ACCESS_KEY, "secret_key": SECRET_KEY},
        {"gateway": "kling", "api_key": "sk"},
        {"gateway": "cometapi", "access_key": ACCESS_KEY, "secret_key": SECRET_KEY},
        {"access_key": "has space", "secret_key": SECRET_KEY},
    ],
)
def test_a_half_or_mixed_set_of_keys_is_a_configuration_error(arguments):
    with pytest.raises(ConfigurationError) as caught:
        resolve_gateway(
            clock=SystemClock(), spec_base_url="https://api.cometapi.com", environ={}, **arguments
        )
    assert SECRET_KEY not in str(caught.value)


def test_expand_many_runs_on_the_kling_gateway(direct, mock, tmp_path):
    (outcome,) = direct.expand_many([IMAGE_URL], out_dir=tmp_path, poll_interval=1)
    assert outcome.status == "saved"
    assert all(entry.path.startswith(("/v1/", "/_mock/")) for entry in mock.journal)


def test_the_command_line_calls_kling_directly_with_the_keys_it_names(mock, sent):
    seen: dict[str, Any] = {}

    def factory(**options: Any) -> KlingExpand:
        seen.update(options)
        http = mock.client(api_key=None, event_hooks={"request": [sent.append]})
        return KlingExpand(http_client=http, clock=mock.clock, **options)

    environ = {"MY_AK": ACCESS_KEY, "MY_SK": SECRET_KEY}
    out, err = io.StringIO(), io.StringIO()
    argv = ["list", "--access-key-env", "MY_AK", "--secret-key-env", "MY_SK"]
    status = main(argv, stdout=out, stderr=err, client_factory=factory, environ=environ)
    assert status == 0, err.getvalue()
    assert seen["gateway"] == "kling" and seen["access_key"] == ACCESS_KEY
    assert bearer_tokens(sent)
