"""The two ways into the API the contracts run on: CometAPI's and Kling's own.

Read from Kling's and CometAPI's documentation, not from the SDK or the mock:
CometAPI serves the spec's paths with a static bearer key; Kling serves them
without CometAPI's ``/kling`` prefix, authenticated with an HS256 JWT (claims
``iss`` = access key, ``exp``, ``nbf``) signed with the secret key.

The second gateway runs each property with a share of the profile's examples
(:func:`example_budget`): both gateways share every check, only the transport
and the authentication differ, so a smaller budget there catches a gateway
that breaks the agreement without doubling the suites' time.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

import jwt
from hypothesis import settings
from jwt.warnings import InsecureKeyLengthWarning

COMETAPI, KLING = "cometapi", "kling"
GATEWAYS = (COMETAPI, KLING)
COMETAPI_PREFIX = "/kling"
# The share of the profile's examples a property runs with on Kling's gateway.
SECOND_GATEWAY_SHARE = 3

F = TypeVar("F", bound=Callable[..., Any])


def gateway_path(spec_path: str, gateway: str) -> str:
    """``spec_path`` (as the spec, CometAPI's, writes it) as ``gateway`` serves it."""
    if gateway == COMETAPI:
        return spec_path
    assert spec_path.startswith(COMETAPI_PREFIX + "/"), spec_path
    return spec_path[len(COMETAPI_PREFIX) :]


def kling_token(
    access_key: str,
    secret_key: str,
    *,
    now: float | None = None,
    lifetime: float = 1800,
    algorithm: str = "HS256",
    drop: tuple[str, ...] = (),
) -> str:
    """A token as Kling's documentation makes one (``now`` in Unix seconds)."""
    at = time.time() if now is None else now
    claims = {"iss": access_key, "exp": int(at + lifetime), "nbf": int(at - 5)}
    for name in drop:
        del claims[name]
    with warnings.catch_warnings():
        # Another algorithm than Kling's wants a longer key than Kling's secret: the
        # token is meant to be refused anyway.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, secret_key, algorithm=algorithm)


def credentials(gateway: str, *, api_key: str, access_key: str, secret_key: str) -> dict[str, str]:
    """The SDK's arguments that select ``gateway`` with these keys."""
    if gateway == COMETAPI:
        return {"api_key": api_key}
    return {"access_key": access_key, "secret_key": secret_key}


def example_budget(gateway: str) -> Callable[[F], F]:
    """The profile's examples on CometAPI's gateway; a share of them on Kling's."""
    if gateway == COMETAPI:
        return lambda test: test
    profile = settings()  # the loaded profile's settings
    examples = max(1, profile.max_examples // SECOND_GATEWAY_SHARE)
    return cast(Callable[[F], F], settings(profile, max_examples=examples))
