"""Kling's error codes and CometAPI's retry advice, as the resolved spec lists them."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import SpecError
from ._files import load_resolved_spec
from ._references import resolve_ref


@dataclass(frozen=True)
class ErrorCode:
    """One row of ``x-kling-error-codes``: a code, its HTTP status, and how to treat it."""

    code: int
    http_status: int
    family: str
    meaning: str
    retryable: bool = False


def _schema(spec: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    try:
        return resolve_ref(spec, {"$ref": f"#/components/schemas/{name}"})
    except KeyError as exc:
        raise SpecError(f"the spec has no {name} schema") from exc


def error_codes(spec: Mapping[str, Any] | None = None) -> Mapping[int, ErrorCode]:
    """Every documented Kling error code, from ``ErrorEnvelope``'s ``x-kling-error-codes``.

    >>> error_codes()[1303].http_status, error_codes()[1303].retryable
    (429, True)
    """
    if spec is None:
        return _default_error_codes()
    rows = _schema(spec, "ErrorEnvelope").get("x-kling-error-codes")
    if not rows:
        raise SpecError("ErrorEnvelope lists no x-kling-error-codes")
    return {
        int(row["code"]): ErrorCode(
            code=int(row["code"]),
            http_status=int(row["http_status"]),
            family=str(row["family"]),
            meaning=str(row["meaning"]),
            retryable=bool(row.get("retryable", False)),
        )
        for row in rows
    }


def gateway_retryable_statuses(spec: Mapping[str, Any] | None = None) -> frozenset[int]:
    """The HTTP statuses CometAPI's gateway says are worth retrying."""
    gateway = _schema(spec if spec is not None else load_resolved_spec(), "GatewayError")
    return frozenset(int(s) for s in gateway.get("x-cometapi-retryable-statuses", ()))


@functools.cache
def _default_error_codes() -> Mapping[int, ErrorCode]:
    return error_codes(load_resolved_spec())
