"""Kling's access-key tokens at their edges: the mock's documented code, the SDK's typed error.

Each token is made as Kling's documentation describes one (PyJWT, HS256, claims
``iss``, ``exp``, ``nbf``) and then spoiled one way. Sent raw, the mock answers
401 with the documented code (1002 invalid, 1003 not yet valid, 1004 expired);
sent by the SDK (its own token swapped for the spoiled one on the way out), the
SDK raises :class:`AuthenticationError` with that code, renews an expired token
once, and calls a token not yet valid a clock problem. The SDK's own tokens, made
on a clock behind or ahead of the mock's, or with a wrong secret, meet the same.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import jwt
import pytest

from kling_expand import AuthenticationError, KlingExpand
from kling_mock import DEFAULT_DEV_ACCESS_KEY, DEFAULT_DEV_SECRET_KEY, MockKling

from ..gateways import KLING, kling_token
from .conftest import create_path_on
from .mocking import IN_PROCESS_URL

BODY_IMAGE = "https://example.com/a.jpg"
INVALID, NOT_YET_VALID, EXPIRED = 1002, 1003, 1004
# Past any leeway a server may give (the mock's is 5 s).
FAR = 3600.0
# Far longer than any real token (about 200 characters); Kling documents no limit.
OVERSIZED_CHARS = 8 * 1024


def _unsigned(now: float) -> str:
    claims = {"iss": DEFAULT_DEV_ACCESS_KEY, "exp": int(now + 1800), "nbf": int(now - 5)}
    return jwt.encode(claims, "", algorithm="none")


def _oversized(now: float) -> str:
    padding = base64.urlsafe_b64encode(b"x" * OVERSIZED_CHARS).decode().rstrip("=")
    return kling_token(DEFAULT_DEV_ACCESS_KEY, DEFAULT_DEV_SECRET_KEY, now=now) + padding


def _ak_token(algorithm: str = "HS256", drop: tuple[str, ...] = ()) -> Callable[[float], str]:
    def make(now: float) -> str:
        return kling_token(
            DEFAULT_DEV_ACCESS_KEY, DEFAULT_DEV_SECRET_KEY, now=now, algorithm=algorithm, drop=drop
        )

    return make


SPOILED: dict[str, tuple[Callable[[float], str], int]] = {
    "expired": (lambda now: _ak_token()(now - FAR - 1800), EXPIRED),
    "not-yet-valid": (lambda now: _ak_token()(now + FAR), NOT_YET_VALID),
    "wrong-secret": (
        lambda now: kling_token(DEFAULT_DEV_ACCESS_KEY, "another-secret-" * 3, now=now),
        INVALID,
    ),
    "unknown-access-key": (
        lambda now: kling_token("nobody", DEFAULT_DEV_SECRET_KEY, now=now),
        INVALID,
    ),
    "wrong-algorithm": (_ak_token(algorithm="HS512"), INVALID),
    "algorithm-none": (_unsigned, INVALID),
    "missing-exp": (_ak_token(drop=("exp",)), INVALID),
    "missing-nbf": (_ak_token(drop=("nbf",)), INVALID),
    "missing-iss": (_ak_token(drop=("iss",)), INVALID),
    "garbage": (lambda now: "not.a.jwt", INVALID),
    "oversized": (_oversized, INVALID),
}


@pytest.fixture
def mock() -> MockKling:
    return MockKling()


def swapping_in(token: str) -> Callable[[httpx.Request], None]:
    """An httpx request hook that replaces the SDK's token with ``token``."""

    def swap(request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {token}"

    return swap


@pytest.mark.parametrize(("make", "code"), SPOILED.values(), ids=SPOILED.keys())
def test_a_spoiled_token_gets_its_documented_code_and_the_sdk_its_typed_error(
    make, code, mock
) -> None:
    token = make(mock.clock.now())
    body = {"image": BODY_IMAGE}

    # Sent raw, the mock refuses it with the documented status and code
    with mock.client(api_key=None) as http:
        headers = {"Authorization": f"Bearer {token}"}
        answer = http.post(create_path_on(KLING), json=body, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (401, code), answer.text

    # Sent by the SDK, it is an AuthenticationError with that code, after one renewal
    # of a token the service calls expired, and nothing else resent
    sent: list[httpx.Request] = []
    http = mock.client(api_key=None, event_hooks={"request": [swapping_in(token), sent.append]})
    client = KlingExpand(
        access_key=DEFAULT_DEV_ACCESS_KEY,
        secret_key=DEFAULT_DEV_SECRET_KEY,
        http_client=http,
        clock=mock.clock,
    )
    with http, client, pytest.raises(AuthenticationError) as caught:
        client.submit(BODY_IMAGE, up=0.2)
    assert (caught.value.status_code, caught.value.code) == (401, code)
    assert len(sent) == (2 if code == EXPIRED else 1)
    # (the SDK's own words: the mock's message may say so too)
    assert ("this machine's clock" in str(caught.value)) is (code == NOT_YET_VALID)


class OffsetClock:
    """The mock's clock, seen from a machine whose clock is ``offset`` seconds off."""

    def __init__(self, mock: MockKling, offset: float) -> None:
        self.mock, self.offset = mock, offset

    def now(self) -> float:
        return self.mock.clock.now() + self.offset

    def monotonic(self) -> float:
        return self.now()

    def sleep(self, seconds: float) -> None:
        self.mock.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        await self.mock.advance_async(seconds)


@pytest.mark.parametrize(
    ("offset", "secret", "code"),
    [
        (-FAR - 1800, DEFAULT_DEV_SECRET_KEY, EXPIRED),
        (FAR, DEFAULT_DEV_SECRET_KEY, NOT_YET_VALID),
        (0, "a-wrong-secret-key-of-thirty-two-bytes", INVALID),
    ],
    ids=["clock-behind", "clock-ahead", "wrong-secret"],
)
def test_the_sdk_own_tokens_from_a_wrong_clock_or_secret_are_refused_as_documented(
    offset, secret, code, mock
) -> None:
    client = KlingExpand(
        access_key=DEFAULT_DEV_ACCESS_KEY,
        secret_key=secret,
        base_url=IN_PROCESS_URL,
        http_client=mock.client(api_key=None),
        clock=OffsetClock(mock, offset),
    )
    with client, pytest.raises(AuthenticationError) as caught:
        client.submit(BODY_IMAGE, up=0.2)
    assert caught.value.code == code
    assert secret not in str(caught.value) and DEFAULT_DEV_ACCESS_KEY not in str(caught.value)


def test_the_sdk_token_on_the_mock_clock_is_accepted_and_renewed_as_time_passes(mock) -> None:
    with KlingExpand(
        access_key=DEFAULT_DEV_ACCESS_KEY,
        secret_key=DEFAULT_DEV_SECRET_KEY,
        http_client=mock.client(api_key=None),
        clock=mock.clock,
    ) as client:
        first = client.submit(BODY_IMAGE, up=0.2)
        mock.advance(3 * FAR)  # well past the first token's exp
        assert client.get(first.id).id == first.id
