"""The admin API under ``/_mock``: the clock, faults, journal, deliveries and reset.

It is its own sub-app, mounted under its prefix, behind an optional token
(``MockConfig.admin_token``, ``kling-mock serve --admin-token``): with one set, every
admin request must send ``Authorization: Bearer <token>`` (401/1001 without it,
401/1002 with another), so no API client can drive the clock or wipe the state.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from kling_spec import INVALID_VALUE, Violation

from ._errors import RequestRefused, Unauthenticated, malformed
from ._faults import SCENARIOS
from ._json_body import parse_json_body
from ._requests import read_body, service_of
from ._service import MockService

ADMIN_PREFIX = "/_mock"
_ADMIN_BODY_BYTES = 64 * 1024


async def _admin_json(request: Request) -> Mapping[str, Any]:
    raw = await read_body(request, _ADMIN_BODY_BYTES, service_of(request))
    body = parse_json_body(raw) if raw.strip() else {}
    if not isinstance(body, Mapping):
        raise malformed("the admin request body must be a JSON object")
    return body


def _bad_admin_value(field: str, message: str) -> RequestRefused:
    return RequestRefused([Violation(field, f"{field} {message}", INVALID_VALUE)])


async def admin_clock(request: Request) -> Response:
    clock = service_of(request).clock
    return JSONResponse({"now_ms": clock.now_ms(), "frozen": clock.frozen})


async def admin_advance(request: Request) -> Response:
    service = service_of(request)
    body = await _admin_json(request)
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise _bad_admin_value("seconds", "must be a number >= 0")
    try:
        service.clock.advance(seconds)
    except ValueError as exc:
        raise RequestRefused([Violation("seconds", str(exc), INVALID_VALUE)]) from None
    attempts = await service.start_due_deliveries(service.config.callback_advance_wait_seconds)
    return JSONResponse({"now_ms": service.clock.now_ms(), "callback_attempts": attempts})


async def admin_faults(request: Request) -> Response:
    faults = service_of(request).faults
    if request.method == "DELETE":
        faults.reset()
    elif request.method == "POST":
        body = await _admin_json(request)
        try:
            if "rates" in body:
                if not isinstance(body["rates"], Mapping):
                    raise TypeError('give rates as an object, {"scenario": rate}')
                faults.set_rates(dict(body["rates"]))
        except (ValueError, TypeError) as exc:
            raise RequestRefused([Violation("rates", f"rates: {exc}", INVALID_VALUE)]) from None
        if "scenario" in body:
            try:
                faults.queue(str(body["scenario"]), body.get("times", 1))
            except ValueError as exc:
                field = "times" if str(exc).startswith("times") else "scenario"
                raise RequestRefused([Violation(field, str(exc), INVALID_VALUE)]) from None
    return JSONResponse({"rates": faults.rates, "queued": faults.queued, "scenarios": SCENARIOS})


async def admin_journal(request: Request) -> Response:
    journal = service_of(request).journal
    if request.method == "DELETE":
        journal.clear()
    return JSONResponse({"entries": [entry.as_dict() for entry in journal.entries()]})


async def admin_deliveries(request: Request) -> Response:
    deliveries = service_of(request).callbacks.deliveries()
    return JSONResponse({"deliveries": [d.as_dict() for d in deliveries]})


async def admin_reset(request: Request) -> Response:
    service_of(request).reset()
    return JSONResponse({"reset": True})


class _AdminGuard:
    """Lets an admin request through only with the configured token, when there is one."""

    def __init__(self, app: ASGIApp, service: MockService) -> None:
        self.app = app
        self.token = service.config.admin_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is not None and scope["type"] == "http":
            check_admin_token(dict(scope["headers"]).get(b"authorization"), self.token)
        await self.app(scope, receive, send)


def check_admin_token(authorization: bytes | None, token: str) -> None:
    """401/1001 without a bearer token, 401/1002 with one that is not ``token``."""
    scheme, _, sent = (authorization or b"").decode("latin-1").strip().partition(" ")
    if scheme.lower() != "bearer" or not sent.strip():
        raise Unauthenticated(
            401, 1001, "the admin API needs Authorization: Bearer <admin token> on this server"
        )
    if not hmac.compare_digest(sent.strip().encode(), token.encode()):
        raise Unauthenticated(401, 1002, "Authorization: the admin token is not valid")


def admin_mount(service: MockService) -> Mount:
    """The admin API as one Mount under :data:`ADMIN_PREFIX`."""
    return Mount(
        ADMIN_PREFIX,
        routes=[
            Route("/clock", admin_clock, methods=["GET"]),
            Route("/clock/advance", admin_advance, methods=["POST"]),
            Route("/faults", admin_faults, methods=["GET", "POST", "DELETE"]),
            Route("/journal", admin_journal, methods=["GET", "DELETE"]),
            Route("/deliveries", admin_deliveries, methods=["GET"]),
            Route("/reset", admin_reset, methods=["POST"]),
        ],
        middleware=[Middleware(_AdminGuard, service=service)],
    )
