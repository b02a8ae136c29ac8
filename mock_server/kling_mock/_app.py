"""The Starlette app: Kling's three operations, result downloads, the admin API and the spec."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kling_spec import CREATE_PATH, INVALID_VALUE, TASK_PATH, Violation

from ._clock import MockClock
from ._config import MockConfig
from ._errors import BodyTooLarge, MockError, RequestRefused, malformed
from ._faults import POLICY_BLOCK, SCENARIO_HEADER, SCENARIOS, SLOW, TASK_FAILS, refusal_for
from ._journal import RAW_BODY_PREFIX, summarize_body
from ._service import RESULTS_PREFIX, MockService, parse_json_body

ADMIN_PREFIX = "/_mock"
_INDEX = re.compile(r"[0-9]+")
_KINDS = ("png", "watermarked.png")
_TICK_SECONDS = 0.2


def error_response(exc: MockError, request_id: str) -> JSONResponse:
    """The one place an error body is rendered: Kling's envelope or CometAPI's gateway body."""
    return JSONResponse(exc.body(request_id), status_code=exc.status, headers=exc.headers)


def _service(request: Request) -> MockService:
    service: MockService = request.app.state.service
    return service


def _request_id(request: Request) -> str:
    # The scope's state dict itself: a missing key on ``request.state`` costs a raised
    # and caught AttributeError, on every request.
    state: dict[str, Any] = request.scope.setdefault("state", {})
    request_id = state.get("request_id")
    if request_id is None:
        request_id = state["request_id"] = _service(request).new_request_id()
    return str(request_id)


async def _handle_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, MockError):
        error = exc
    elif isinstance(exc, HTTPException) and exc.status_code == 405:
        error = MockError(
            405,
            1202,
            f"method {request.method} is not allowed on {request.url.path}",
            headers={"Allow": ", ".join(_allowed_methods(request))},
        )
    elif isinstance(exc, HTTPException):
        error = MockError(404, 1202, f"no such path: {request.url.path}")
    else:  # a bug: still the envelope, never a bare traceback
        error = MockError(500, 5000, f"internal error ({type(exc).__name__})")
    request.state.error_code = error.code
    return error_response(error, _request_id(request))


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's own Allow names one route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches({**request.scope, "method": ""})
            if match is not Match.NONE:
                methods.update(route.methods)
    return sorted(methods - {"HEAD"})


# Starlette's JSONResponse settings, with the encoder built once rather than per answer.
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _success(request: Request, data: Any) -> Response:
    request.state.error_code = 0
    body = {"code": 0, "message": "SUCCEED", "request_id": _request_id(request), "data": data}
    return Response(_ENCODE(body).encode(), media_type="application/json")


def _base_url(request: Request) -> str:
    """Where this server is, as the client addressed it (Starlette's ``base_url``, cheaply)."""
    scope = request.scope
    host = request.headers.get("host")
    if not host:
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if server else "localhost"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}/"


async def _enter(request: Request, *, creating: bool = False) -> tuple[str, str | None]:
    """Authenticate, then apply a fault scenario: the account and the scenario still to apply."""
    service = _service(request)
    account = service.authenticate(request.headers.get("authorization"))
    request.state.account = account
    scenario = service.faults.choose(request.headers.get(SCENARIO_HEADER), creating=creating)
    request.state.scenario = scenario
    if scenario is not None:
        refusal = refusal_for(scenario, service.config.retry_after_seconds)
        if refusal is not None:
            raise refusal
        if scenario == SLOW:
            await service.clock.asleep(service.config.slow_seconds)
    service.queue_due_callbacks()
    return account, scenario


def _declared_length(request: Request, limit: int, service: MockService) -> int | None:
    """The Content-Length, if there is one; refused with 413 when over ``limit``."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        return None
    if int(declared) > limit:
        c = service.constraints
        raise BodyTooLarge(limit, c.image_field, c.image_max_bytes)
    return int(declared)


async def _read_body(request: Request, limit: int, service: MockService) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit``."""
    c = service.constraints
    _declared_length(request, limit, service)
    chunks: list[bytes] = []
    size = 0
    while True:  # the ASGI messages themselves: no stream wrapper per request
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        if not chunks:  # what the journal shows of a body it cannot parse
            request.scope.setdefault("state", {})["journal_raw"] = chunk
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit, c.image_field, c.image_max_bytes)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _require_json(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise malformed(
            f"Content-Type must be application/json, not {media_type or 'missing'}",
            "Content-Type",
        )


async def create_task(request: Request) -> Response:
    service = _service(request)
    account, scenario = await _enter(request, creating=True)
    _require_json(request)
    declared = _declared_length(request, service.max_body_bytes, service)
    if declared is not None and declared <= service.config.large_body_bytes:
        return await _create(request, service, account, scenario)
    async with service.large_body_slots.hold():  # an oversized one is refused unwaited
        return await _create(request, service, account, scenario)


async def _create(
    request: Request, service: MockService, account: str, scenario: str | None
) -> Response:
    raw = await _read_body(request, service.max_body_bytes, service)
    body = parse_json_body(raw, service.config.max_json_depth, service.max_json_commas)
    request.state.journal_body = summarize_body(body)
    task = await service.create(
        account,
        body,
        _base_url(request),
        fails=scenario == TASK_FAILS,
        blocked=scenario == POLICY_BLOCK,
        parsed=True,
    )
    return _success(request, service.record(task))


async def get_task(request: Request) -> Response:
    account, _ = await _enter(request)
    service = _service(request)
    return _success(request, service.record(service.get(account, request.path_params["task_id"])))


async def list_tasks(request: Request) -> Response:
    account, _ = await _enter(request)
    service = _service(request)
    tasks = service.list_tasks(account, request.query_params)
    return _success(request, [service.record(task) for task in tasks])


async def result_image(request: Request) -> Response:
    service = _service(request)
    name: str = request.path_params["name"]
    index_text, _, kind = name.partition(".")
    watermark = kind == "watermarked.png"
    # ASCII digits only, and no more than n's maximum has: str.isdigit() also takes
    # "²" and a 5000-digit index, which int() then refuses with a 500.
    if (
        not _INDEX.fullmatch(index_text)
        or len(index_text) > service.result_index_digits
        or kind not in _KINDS
    ):
        raise MockError(404, 1202, f"no such result: {name[:100]}")
    task = service.result_task(request.path_params["task_id"], int(index_text))
    if watermark and not task.watermark:
        raise MockError(404, 1203, "this task was created without watermark_info.enabled")
    data = await run_in_threadpool(service.result_png, task, int(index_text), watermark=watermark)
    max_age = service.result_max_age(task)
    return Response(data, media_type="image/png", headers={"cache-control": f"max-age={max_age}"})


async def openapi_json(request: Request) -> Response:
    return Response(request.app.state.spec_bytes, media_type="application/json")


# --- admin API ---------------------------------------------------------------------------


async def _admin_json(request: Request) -> Mapping[str, Any]:
    raw = await _read_body(request, 64 * 1024, _service(request))
    body = parse_json_body(raw) if raw.strip() else {}
    if not isinstance(body, Mapping):
        raise malformed("the admin request body must be a JSON object")
    return body


def _bad_admin_value(field: str, message: str) -> RequestRefused:
    return RequestRefused([Violation(field, f"{field} {message}", INVALID_VALUE)])


async def admin_clock(request: Request) -> Response:
    clock = _service(request).clock
    return JSONResponse({"now_ms": clock.now_ms(), "frozen": clock.frozen})


async def admin_advance(request: Request) -> Response:
    service = _service(request)
    body = await _admin_json(request)
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise _bad_admin_value("seconds", "must be a number >= 0")
    try:
        service.clock.advance(seconds)
    except ValueError as exc:
        raise RequestRefused([Violation("seconds", str(exc), INVALID_VALUE)]) from None
    attempts = await service.deliver_due_async()
    return JSONResponse({"now_ms": service.clock.now_ms(), "callback_attempts": attempts})


async def admin_faults(request: Request) -> Response:
    faults = _service(request).faults
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
    journal = _service(request).journal
    if request.method == "DELETE":
        journal.clear()
    return JSONResponse({"entries": [entry.as_dict() for entry in journal.entries()]})


async def admin_deliveries(request: Request) -> Response:
    deliveries = _service(request).callbacks.deliveries()
    return JSONResponse({"deliveries": [d.as_dict() for d in deliveries]})


async def admin_reset(request: Request) -> Response:
    _service(request).reset()
    return JSONResponse({"reset": True})


class JournalMiddleware:
    """Records every API request (not admin, results or the spec) with its answer."""

    def __init__(self, app: ASGIApp, service: MockService) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(CREATE_PATH):
            await self.app(scope, receive, send)
            return
        recorded = False

        def record(status: int) -> None:
            # Recorded before the answer leaves, so a client that got it finds it journaled.
            nonlocal recorded
            recorded = True
            state = scope.get("state") or {}
            body = state.get("journal_body")
            first_chunk = state.get("journal_raw") if body is None else None
            self.service.journal.record(
                time_ms=self.service.clock.now_ms(),
                method=scope["method"],
                path=path,
                query=scope.get("query_string", b""),
                headers=scope["headers"],
                body=body,
                raw_body=first_chunk[:RAW_BODY_PREFIX] if first_chunk else None,
                status=status,
                code=state.get("error_code"),
                account=state.get("account"),
                scenario=state.get("scenario"),
            )

        async def watch_send(message: Message) -> None:
            if not recorded and message["type"] == "http.response.start":
                record(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch_send)
        finally:
            if not recorded:
                record(500)


def create_app(
    config: MockConfig | None = None,
    *,
    spec: Mapping[str, Any] | None = None,
    clock: MockClock | None = None,
    fetch_transport: httpx.AsyncBaseTransport | None = None,
    callback_transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    service: MockService | None = None,
) -> Starlette:
    """The mock as an ASGI app: serve it with uvicorn or call it through httpx.ASGITransport.

    >>> import httpx
    >>> app = create_app()
    >>> async def spec_title():
    ...     transport = httpx.ASGITransport(app=app)
    ...     async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
    ...         return (await client.get("/openapi.json")).json()["info"]["title"]
    >>> import asyncio; asyncio.run(spec_title())
    'Kling Image Expansion API'
    """
    if service is None:
        service = MockService(
            config,
            spec=spec,
            clock=clock,
            fetch_transport=fetch_transport,
            callback_transport=callback_transport,
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if service.config.freeze_startup_heap:
            gc.collect()  # what start-up left as garbage is freed, not pinned
            gc.freeze()
        # Served for real, a running clock moves tasks on its own: send their callbacks.
        ticker = None if service.clock.frozen else asyncio.create_task(_tick(service))
        try:
            yield
        finally:
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker

    task_route = TASK_PATH.replace("{task_id}", "{task_id:path}")
    routes = [
        # Starlette tries routes in order: polling a task, the commonest request, first.
        Route(task_route, get_task, methods=["GET"]),
        Route(CREATE_PATH, create_task, methods=["POST"]),
        Route(CREATE_PATH, list_tasks, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route(RESULTS_PREFIX + "/{task_id}/{name}", result_image, methods=["GET"]),
        Route(ADMIN_PREFIX + "/clock", admin_clock, methods=["GET"]),
        Route(ADMIN_PREFIX + "/clock/advance", admin_advance, methods=["POST"]),
        Route(ADMIN_PREFIX + "/faults", admin_faults, methods=["GET", "POST", "DELETE"]),
        Route(ADMIN_PREFIX + "/journal", admin_journal, methods=["GET", "DELETE"]),
        Route(ADMIN_PREFIX + "/deliveries", admin_deliveries, methods=["GET"]),
        Route(ADMIN_PREFIX + "/reset", admin_reset, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(JournalMiddleware, service=service)],
        exception_handlers={
            Exception: _handle_error,
            HTTPException: _handle_error,
            MockError: _handle_error,
        },
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.spec_bytes = json.dumps(service.spec).encode()
    return app


async def _tick(service: MockService) -> None:
    while True:
        await asyncio.sleep(_TICK_SECONDS)
        with contextlib.suppress(Exception):
            await service.deliver_due_async()
