"""Kling's own authentication: a short-lived HS256 JWT signed with an account's secret key.

The client sends ``Authorization: Bearer <jwt>`` with claims ``iss`` (the access
key), ``exp`` and ``nbf``. PyJWT checks the format, the algorithm and the
signature; the times are judged on the mock's clock (which tests control), with
``leeway`` seconds of tolerance either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt

from ._errors import Unauthenticated

#: The one algorithm Kling's tokens use; ``none`` and every other one are refused.
ALGORITHM = "HS256"
#: A token longer than this is refused unread (real ones are about 200 characters).
MAX_TOKEN_CHARS = 4096
#: HS256 keys shorter than its digest are refused (PyJWT warns about them).
MIN_SECRET_BYTES = 32
_REQUIRED_CLAIMS = ("iss", "exp", "nbf")


def looks_like_jwt(token: str) -> bool:
    """Whether a bearer credential has a JWT's shape (three dot-separated parts)."""
    return token.count(".") == 2


def check_secret(access_key: str, secret_key: str) -> None:
    """Refuse a key pair HS256 cannot use safely (empty access key, short secret)."""
    if not access_key:
        raise ValueError("a Kling access key must not be empty")
    if len(secret_key.encode()) < MIN_SECRET_BYTES:
        raise ValueError(
            f"the secret key of access key {access_key!r} is shorter than "
            f"{MIN_SECRET_BYTES} bytes, the least HS256 accepts here"
        )


def _invalid(reason: str) -> Unauthenticated:
    return Unauthenticated(401, 1002, f"Authorization: the JWT is not valid: {reason}")


def _time_claim(claims: Mapping[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"claim {name} must be a number (Unix seconds)")
    return float(value)


def verify_token(
    token: str,
    keys: Mapping[str, tuple[str, str]],
    *,
    now: float,
    leeway: float,
) -> str:
    """The account ``token`` authenticates, judged at ``now`` (Unix seconds).

    ``keys`` maps an access key to its (secret key, account). Refusals are 401:
    1002 for an unknown ``iss``, a bad signature, a missing claim, a refused
    algorithm or a token that is not a JWT; 1003 before ``nbf``; 1004 after ``exp``.
    """
    if len(token) > MAX_TOKEN_CHARS:
        raise _invalid(f"the token is over {MAX_TOKEN_CHARS} characters")
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _invalid("it is not a well-formed JWT") from None
    if header.get("alg") != ALGORITHM:
        raise _invalid(f"algorithm {str(header.get('alg'))[:20]!r} is refused; use {ALGORITHM}")
    issuer = claims.get("iss")
    pair = keys.get(issuer) if isinstance(issuer, str) else None
    if pair is None:
        raise _invalid("claim iss is not a known access key")
    secret, account = pair
    try:
        jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": list(_REQUIRED_CLAIMS), "verify_exp": False, "verify_nbf": False},
        )
    except jwt.MissingRequiredClaimError as exc:
        raise _invalid(f"claim {exc.claim} is missing") from None
    except jwt.InvalidSignatureError:
        raise _invalid("the signature does not match the secret key of its iss") from None
    except jwt.PyJWTError:
        raise _invalid("it is not a well-formed JWT") from None
    expires, not_before = _time_claim(claims, "exp"), _time_claim(claims, "nbf")
    if now > expires + leeway:
        raise Unauthenticated(
            401, 1004, f"Authorization: the JWT expired (exp {expires:.0f}, now {now:.0f})"
        )
    if now < not_before - leeway:
        raise Unauthenticated(
            401,
            1003,
            f"Authorization: the JWT is not valid yet (nbf {not_before:.0f}, now {now:.0f}): "
            "check the client's clock",
        )
    return account
