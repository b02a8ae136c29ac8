"""Every error the SDK raises, in one tree with one root::

    KlingError
    ├── APIConnectionError              the request did not get an answer
    │   └── APITimeoutError             ... because it took too long
    ├── APIStatusError                  the service answered with an error
    │   ├── AuthenticationError         1000-1004 (HTTP 401)
    │   ├── AccountError                1100-1103 (arrears, exhausted pack, no access)
    │   ├── InvalidRequestError         1200-1201 (HTTP 400)
    │   ├── NotFoundError               1202-1203 (HTTP 404)
    │   ├── PolicyError                 1300-1301 (blocked by policy or content safety)
    │   ├── RateLimitError              1302-1304 (HTTP 429)
    │   ├── ServerError                 5000-5002 (HTTP 500, 503, 504)
    │   └── APIResponseValidationError  a success status with a body that is not a task
    ├── TaskFailedError                 the task ended with status ``failed``
    ├── WaitTimeoutError                the task did not finish before the deadline
    ├── DownloadError                   a result image could not be fetched or is not an image
    ├── InputValidationError            a request that would be refused, caught before sending
    ├── WebhookVerificationError        a callback whose signature does not check out
    └── ConfigurationError              no usable API key or base URL

``InputValidationError``, ``WebhookVerificationError`` and ``ConfigurationError``
are also ``ValueError``;
``WaitTimeoutError`` is also the built-in ``TimeoutError``.

Every error carries ``status_code``, ``code``, ``message`` and ``request_id``
(``None`` where the service said nothing). Kling's error codes live in one
table, :data:`KLING_ERROR_CODES`; :func:`make_status_error` is the one place an
answer (HTTP status, body) becomes a class. CometAPI's gateway bodies
(``{"error": {"message", "type", "code"}}``) map into the same tree.

>>> err = make_status_error(429, b'{"code": 1303, "message": "busy", "request_id": "r1"}')
>>> type(err).__name__, err.code, err.retryable
('RateLimitError', 1303, True)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kling_spec import error_codes, gateway_retryable_statuses


class KlingError(Exception):
    """The root of every error this SDK raises."""

    status_code: int | None = None
    code: int | None = None
    request_id: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class APIConnectionError(KlingError):
    """No answer arrived: the connection failed or dropped.

    ``request_sent`` is False only when the request certainly never reached the
    server (the connection was never made); otherwise the service may have acted
    on it, which matters for a create request.
    """

    def __init__(self, message: str, *, request_sent: bool = True) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """The request took longer than its timeout."""


class APIStatusError(KlingError):
    """The service answered with an error (an HTTP error status or a non-zero code)."""

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: int | None,
        request_id: str | None,
        body: object = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.body = body
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """Whether the same request may succeed later (Kling's and CometAPI's advice)."""
        if self.code is not None and self.code in KLING_ERROR_CODES:
            return KLING_ERROR_CODES[self.code].retryable
        return self.status_code in RETRYABLE_STATUSES

    def __str__(self) -> str:
        parts = [f"HTTP {self.status_code}"]
        if self.code is not None:
            parts.append(f"code {self.code}")
        if self.request_id:
            parts.append(f"request {self.request_id}")
        return f"{self.message} ({', '.join(parts)})"


class AuthenticationError(APIStatusError):
    """The API key is missing, unknown, not yet valid or expired."""


class AccountError(APIStatusError):
    """The account cannot run this: arrears, exhausted resource pack, or no access."""


class InvalidRequestError(APIStatusError):
    """The service refused the request's shape or values."""


class NotFoundError(APIStatusError):
    """No such task for this account (or no such method)."""


class PolicyError(APIStatusError):
    """The request was blocked by policy or content safety."""


class RateLimitError(APIStatusError):
    """Too many requests, too many tasks at once, or an address not on the allowlist."""


class ServerError(APIStatusError):
    """The service failed, is in maintenance or timed out internally."""


class APIResponseValidationError(APIStatusError):
    """A success status whose body is not what the spec promises (say, an HTML page)."""


class TaskFailedError(KlingError):
    """The task ended with status ``failed``; ``message`` is the service's reason."""

    def __init__(
        self,
        task_id: str,
        reason: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(f"task {task_id} failed: {reason or 'no reason given'}")
        self.task_id = task_id
        self.reason = reason
        self.status_code = status_code
        self.request_id = request_id
        self.code = code


class WaitTimeoutError(KlingError, TimeoutError):
    """The task was still running when the wait's deadline passed."""

    def __init__(self, task_id: str, timeout: float, last_status: str | None) -> None:
        super().__init__(
            f"task {task_id} did not finish within {timeout:g} s (last status: {last_status})"
        )
        self.task_id = task_id
        self.timeout = timeout
        self.last_status = last_status


class DownloadError(KlingError):
    """A result image could not be fetched, or what came back is not the image promised."""

    def __init__(self, message: str, *, url: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code


@dataclass(frozen=True)
class _Problem:
    field: str
    message: str


class InputValidationError(KlingError, ValueError):
    """A request the service would refuse, caught before anything was sent.

    ``field`` names the first offending field; ``problems`` lists every one
    found, each as ``(field, message)`` where the message names the value and
    the limit.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        if not problems:
            raise ValueError("InputValidationError needs at least one problem")
        self.problems = tuple(_Problem(field, message) for field, message in problems)
        super().__init__("; ".join(_named(p.field, p.message) for p in self.problems))
        self.field = self.problems[0].field


def _named(field: str, message: str) -> str:
    """``message``, led by the field's name unless it already is."""
    return message if not field or message.startswith(field) else f"{field}: {message}"


class WebhookVerificationError(KlingError, ValueError):
    """A callback whose signature, timestamp or body does not check out."""


class ConfigurationError(KlingError, ValueError):
    """The client cannot be set up: no API key, a malformed key, or a bad base URL."""


@dataclass(frozen=True)
class KlingCode:
    """One row of Kling's error-code table."""

    error_class: type[APIStatusError]
    http_status: int
    meaning: str
    retryable: bool = False


# The class each family of Kling codes (``family`` in the spec's
# x-kling-error-codes) is raised as.
_CLASS_BY_FAMILY: Mapping[str, type[APIStatusError]] = {
    "authentication": AuthenticationError,
    "account": AccountError,
    "invalid_request": InvalidRequestError,
    "not_found": NotFoundError,
    "policy": PolicyError,
    "rate_limit": RateLimitError,
    "server": ServerError,
}


def _code_table(spec: Mapping[str, Any] | None = None) -> Mapping[int, KlingCode]:
    """Kling's error codes as the spec lists them, each with the class it is raised as."""
    return {
        row.code: KlingCode(
            _CLASS_BY_FAMILY[row.family], row.http_status, row.meaning, row.retryable
        )
        for row in error_codes(spec).values()
    }


# The one table the SDK consults, read from the resolved spec's x-kling-error-codes.
KLING_ERROR_CODES: Mapping[int, KlingCode] = _code_table()

# The two codes Kling's access-key tokens bring (``_gateway.py``): a token whose
# ``nbf`` is still ahead of the service's clock, and one whose ``exp`` is past.
KLING_TOKEN_NOT_YET_VALID = 1003
KLING_TOKEN_EXPIRED = 1004
_CLOCK_HINT = (
    "the token's nbf (not before) is later than the service's time: this machine's clock "
    "is probably ahead; set it right (NTP) rather than retrying"
)

# Statuses worth retrying when the body names no Kling code: CometAPI's gateway
# advice, as the spec lists it. Nothing is added here: a status the gateway does
# not call retryable (502 among them) is raised at once, so the spec stays the
# one place that decides what is resent.
RETRYABLE_STATUSES = gateway_retryable_statuses()

_CLASS_BY_STATUS: Mapping[int, type[APIStatusError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: AccountError,
    404: NotFoundError,
    413: InvalidRequestError,
    422: InvalidRequestError,
    429: RateLimitError,
}


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every non-empty string of ``secrets`` replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _masked(value: object, secrets: Sequence[str]) -> object:
    """A copy of a decoded body with ``secrets`` masked in every string (keys too)."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping):
        return {_masked(k, secrets): _masked(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item, secrets) for item in value]
    return value


def _decode_body(body: bytes | Mapping[str, Any] | None) -> object:
    if body is None or isinstance(body, Mapping):
        return body
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body.decode("utf-8", errors="replace")


def _as_code(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _read_fields(decoded: object) -> tuple[int | None, str | None, str | None]:
    """The (code, message, request_id) of Kling's envelope or CometAPI's gateway body."""
    if not isinstance(decoded, Mapping):
        return None, None, None
    error = decoded.get("error")
    if isinstance(error, Mapping):
        message = error.get("message")
        request_id = decoded.get("request_id") or error.get("request_id")
        return (
            _as_code(error.get("code")),
            str(message) if message is not None else None,
            str(request_id) if request_id else None,
        )
    message = decoded.get("message")
    request_id = decoded.get("request_id")
    return (
        _as_code(decoded.get("code")),
        str(message) if message is not None else None,
        str(request_id) if request_id else None,
    )


def _error_class(status_code: int, code: int | None) -> type[APIStatusError]:
    if code is not None and code in KLING_ERROR_CODES:
        return KLING_ERROR_CODES[code].error_class
    if status_code in _CLASS_BY_STATUS:
        return _CLASS_BY_STATUS[status_code]
    if status_code >= 500:
        return ServerError
    if 200 <= status_code < 300:
        return APIResponseValidationError
    return APIStatusError


def make_status_error(
    status_code: int,
    body: bytes | Mapping[str, Any] | None,
    *,
    retry_after: float | None = None,
    redact: Sequence[str] = (),
) -> APIStatusError:
    """The error for an answer that is not a success: the one place codes become classes.

    A known Kling code decides the class; otherwise the HTTP status does. Any
    string in ``redact`` (the API key) is masked in the message and everywhere
    in the decoded ``body`` the error keeps.
    """
    decoded = _masked(_decode_body(body), redact)
    code, message, request_id = _read_fields(decoded)
    if not message:
        if code is not None and code in KLING_ERROR_CODES:
            message = KLING_ERROR_CODES[code].meaning
        elif isinstance(decoded, str) and decoded.strip():
            message = f"unexpected response body: {decoded.strip()[:200]}"
        else:
            message = "the service answered with an error and no message"
    if code == KLING_TOKEN_NOT_YET_VALID:
        message = f"{message} ({_CLOCK_HINT})"
    error_class = _error_class(status_code, code)
    return error_class(
        message,
        status_code=status_code,
        code=code,
        request_id=request_id,
        body=decoded,
        retry_after=retry_after,
    )
