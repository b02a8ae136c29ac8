"""Typed errors: handlers raise them, one exception handler renders the spec's error body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from kling_spec import MALFORMED_REQUEST, Violation

ErrorStyle = Literal["kling", "gateway"]


class MockError(Exception):
    """A refusal as the service sends it: HTTP status, Kling code, a message naming the cause.

    ``style`` picks the body: Kling's envelope ``{code, message, request_id}`` or
    CometAPI's gateway body ``{"error": {message, type, code}}``.

    >>> MockError(404, 1203, "task 7 does not exist").body("req-1")
    {'code': 1203, 'message': 'task 7 does not exist', 'request_id': 'req-1'}
    """

    def __init__(
        self,
        status: int,
        code: int | str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        style: ErrorStyle = "kling",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.style: ErrorStyle = style

    def body(self, request_id: str) -> dict[str, Any]:
        if self.style == "gateway":
            return {
                "error": {"message": self.message, "type": "comet_api_error", "code": self.code}
            }
        return {"code": self.code, "message": self.message, "request_id": request_id}


class RequestRefused(MockError):
    """400: the request is malformed (1200) or a value is out of bounds (1201)."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        codes = {v.code for v in violations}
        code = MALFORMED_REQUEST if MALFORMED_REQUEST in codes else min(codes)
        super().__init__(400, code, "; ".join(_shortened(v.message) for v in violations))
        self.violations = tuple(violations)


def _shortened(message: str, limit: int = 500) -> str:
    # Schema messages quote the offending value: a huge value must not make a huge answer.
    return (
        message if len(message) <= limit else message[: limit - 20] + f"... ({len(message)} chars)"
    )


class Unauthenticated(MockError):
    """401: no key (1001) or a key the mock does not know (1002)."""


class TaskNotFound(MockError):
    """404/1203: no task with that id for this account (another account's tasks do not exist)."""

    def __init__(self, task_id: str) -> None:
        super().__init__(404, 1203, f"task_id {task_id!r} does not exist for this account")


class BodyTooLarge(MockError):
    """413/1200: the body is larger than any valid request can be."""

    def __init__(self, limit: int, image_field: str, image_max_bytes: int) -> None:
        super().__init__(
            413,
            MALFORMED_REQUEST,
            f"the request body is over this server's max_body_bytes {limit} "
            f"({image_field} max_bytes {image_max_bytes} as base64, plus the other fields)",
        )


class BodyTimedOut(MockError):
    """408/1200: the body stopped arriving (a stalled or lying upload)."""

    def __init__(self, seconds: float, received: int, declared: int | None) -> None:
        of = f" of the {declared} declared" if declared is not None else ""
        super().__init__(
            408,
            MALFORMED_REQUEST,
            f"the request body did not arrive within this server's body_timeout_seconds "
            f"{seconds:g} ({received} bytes{of} received); send the whole body at once",
            headers={"Connection": "close"},
        )


def malformed(message: str, field: str = "") -> RequestRefused:
    """A 1200 refusal for a body that is not a JSON object at all."""
    return RequestRefused([Violation(field, message, MALFORMED_REQUEST)])
