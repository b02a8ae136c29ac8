"""The Starlette app: Kling's three operations, result downloads, the admin API and the spec."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kling_spec import CREATE_PATH, TASK_PATH

from ._admin import admin_mount
from ._clock import MockClock
from ._config import MockConfig
from ._errors import MockError, malformed
from ._faults import POLICY_BLOCK, SCENARIO_HEADER, SLOW, TASK_FAILS, refusal_for
from ._gateways import api_prefixes, checked_gateways, gateway_path
from ._journal import RAW_BODY_PREFIX, summarize_body
from ._json_body import parse_json_body
from ._requests import declared_length, read_body, request_id, service_of
from ._service import RESULTS_PREFIX, MockService

_INDEX = re.compile(r"[0-9]+")
_KINDS = ("png", "watermarked.png")
_TICK_SECONDS = 0.2


def error_response(exc: MockError, request_id: str) -> JSONResponse:
    """The one place an error body is rendered: Kling's envelope or CometAPI's gateway body."""
    return JSONResponse(exc.body(request_id), status_code=exc.status, headers=exc.headers)


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
    elif isinstance(exc, ClientDisconnect):  # nobody to answer: journaled as such, no 500
        request.scope.setdefault("state", {})["journal_error"] = "the client disconnected"
        return Response(status_code=400)
    else:  # a bug: still the envelope, never a bare traceback
        error = MockError(500, 5000, f"internal error ({type(exc).__name__})")
    request.state.error_code = error.code
    return error_response(error, request_id(request))


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's own Allow names one route's),
    looking inside mounted sub-apps too."""
    return sorted(_methods_at(request.app.routes, {**request.scope, "method": ""}) - {"HEAD"})


def _methods_at(routes: Sequence[BaseRoute], scope: Scope) -> set[str]:
    methods: set[str] = set()
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Route) and route.methods:
            methods.update(route.methods)
        elif isinstance(route, Mount):
            methods |= _methods_at(route.routes, {**scope, **child})
    return methods


# Starlette's JSONResponse settings, with the encoder built once rather than per answer.
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _success(request: Request, data: Any) -> Response:
    request.state.error_code = 0
    body = {"code": 0, "message": "SUCCEED", "request_id": request_id(request), "data": data}
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
    service = service_of(request)
    service.note_server(request.scope.get("server"))
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


def _require_json(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise malformed(
            f"Content-Type must be application/json, not {media_type or 'missing'}",
            "Content-Type",
        )


async def create_task(request: Request) -> Response:
    service = service_of(request)
    account, scenario = await _enter(request, creating=True)
    _require_json(request)
    declared = declared_length(request, service.max_body_bytes, service)
    if declared is not None and declared <= service.config.large_body_bytes:
        return await _create(request, service, account, scenario)
    async with service.large_body_slots.hold():  # an oversized one is refused unwaited
        return await _create(request, service, account, scenario)


async def _create(
    request: Request, service: MockService, account: str, scenario: str | None
) -> Response:
    raw = await read_body(request, service.max_body_bytes, service)
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
    service = service_of(request)
    return _success(request, service.record(service.get(account, request.path_params["task_id"])))


async def list_tasks(request: Request) -> Response:
    account, _ = await _enter(request)
    service = service_of(request)
    tasks = service.list_tasks(account, request.query_params)
    return _success(request, [service.record(task) for task in tasks])


async def result_image(request: Request) -> Response:
    service = service_of(request)
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
    task = service.result_task(
        request.path_params["task_id"], int(index_text), request.path_params["token"]
    )
    if watermark and not task.watermark:
        raise MockError(404, 1203, "this task was created without watermark_info.enabled")
    data = await run_in_threadpool(service.result_png, task, int(index_text), watermark=watermark)
    max_age = service.result_max_age(task)
    return Response(data, media_type="image/png", headers={"cache-control": f"max-age={max_age}"})


async def openapi_json(request: Request) -> Response:
    return Response(request.app.state.spec_bytes, media_type="application/json")


# --- admin API ---------------------------------------------------------------------------
class JournalMiddleware:
    """Records every API request (not admin, results or the spec) with its answer."""

    def __init__(
        self, app: ASGIApp, service: MockService, prefixes: tuple[str, ...] = (CREATE_PATH,)
    ) -> None:
        self.app = app
        self.service = service
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        recorded = False

        def record(status: int | None) -> None:
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
                error=state.get("journal_error"),
            )

        async def watch_send(message: Message) -> None:
            if not recorded and message["type"] == "http.response.start":
                gone = (scope.get("state") or {}).get("journal_error") is not None
                record(None if gone else message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch_send)
        finally:
            if not recorded:  # nothing was sent: the client went away first
                scope.setdefault("state", {}).setdefault("journal_error", "no answer was sent")
                record(None)


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
            await service.stop_deliveries()

    task_route = TASK_PATH.replace("{task_id}", "{task_id:path}")
    gateways = checked_gateways(service.config.gateways)
    routes = [
        # Starlette tries routes in order: polling a task, the commonest request, first.
        # Each served path family (see _gateways) reaches the same handlers.
        *(Route(gateway_path(task_route, g), get_task, methods=["GET"]) for g in gateways),
        *(Route(gateway_path(CREATE_PATH, g), create_task, methods=["POST"]) for g in gateways),
        *(Route(gateway_path(CREATE_PATH, g), list_tasks, methods=["GET"]) for g in gateways),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route(RESULTS_PREFIX + "/{task_id}/{token}/{name}", result_image, methods=["GET"]),
        # The admin API last: its prefix also holds the results route above.
        admin_mount(service),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                JournalMiddleware, service=service, prefixes=api_prefixes(CREATE_PATH, gateways)
            )
        ],
        exception_handlers={
            Exception: _handle_error,
            HTTPException: _handle_error,
            ClientDisconnect: _handle_error,
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
            await service.start_due_deliveries()
