"""The mock's behaviour, apart from HTTP: accounts, validation, lifecycle, results, callbacks."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import hmac
import ipaddress
import itertools
import random
import re
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any

import anyio.to_thread
import httpx
from PIL import Image

from kling_spec import (
    CREATE_PATH,
    MAX_NESTING,
    ExpandConstraints,
    ImageError,
    ListQuery,
    RequestInvalid,
    Violation,
    check_expand_request,
    check_image,
    decode_image_field,
    expanded_canvas,
    inspect_image,
    load_resolved_spec,
)

from ._callbacks import CallbackQueue, Delivery, ThreadedTransport, attempt
from ._clock import MockClock
from ._config import MockConfig
from ._errors import MockError, RequestRefused, TaskNotFound, Unauthenticated
from ._faults import FaultPlan
from ._fetch import MAX_PORT, FetchFailed, fetch_bytes, host_allowed, port_usable, reaches_self
from ._journal import RequestJournal
from ._json_body import other_fields_bytes
from ._jwt_auth import check_secret, looks_like_jwt, verify_token
from ._pixel_budget import PixelBudget
from ._query import query_parameters
from ._render import (
    RenderCache,
    decode_source,
    encode_png,
    expand_image,
    release_memory,
    source_pixels,
    watermark_in_place,
)
from ._slots import Slots
from ._store import FAILED, PROCESSING, SUBMITTED, SUCCEED, SourceImage, StoredTask, TaskStore

POLICY_FAILURE_MESSAGE = "The task failed content safety review (content policy)"
RESULTS_PREFIX = "/_mock/results"
# RFC 4122 version 4: version nibble 4, variant bits 10.
_UUID4_CLEAR = ~((0xF << 76) | (0x3 << 62))
_UUID4_SET = (0x4 << 76) | (0x2 << 62)

# Pillow names the buffer it read (" <_io.BytesIO object at 0x7f...>"): noise to a
# client, and different on every run.
_OBJECT_ADDRESS = re.compile(r" ?<[^<>]* at 0x[0-9a-fA-F]+>")


class MockService:
    """Everything the mock knows and does; the HTTP app and the Python API both drive it.

    >>> service = MockService(MockConfig())
    >>> service.authenticate("Bearer kling-mock-dev-key")
    'dev'
    """

    def __init__(
        self,
        config: MockConfig | None = None,
        *,
        spec: Mapping[str, Any] | None = None,
        clock: MockClock | None = None,
        fetch_transport: httpx.AsyncBaseTransport | None = None,
        callback_transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config = config or MockConfig()
        self.spec: Mapping[str, Any] = spec if spec is not None else load_resolved_spec()
        self.constraints = ExpandConstraints.from_spec(spec)
        # Compile the request schema now: a broken spec fails at start-up, not on a request.
        _ = self.constraints.request_validator
        extra = self.constraints.request_schema.get("x-kling-constraints", {})
        self._external_id_scope = str(
            extra.get("external_task_id", {}).get("unique_per", "account")
        )
        self._known_fields = (
            frozenset(self.constraints.request_schema.get("properties", {}))
            if config.reject_unknown_fields
            else None
        )
        # parse_json_body refuses non-finite numbers and nesting past max_json_depth:
        # the shared check need not walk such a body again when that depth is within
        # its own bound.
        self._parsed_bodies_walked = config.max_json_depth <= MAX_NESTING
        self.clock = clock or MockClock(config.clock_start, frozen=config.clock_frozen)
        self.fetch_transport = fetch_transport
        self.callback_transport = callback_transport
        encoded_image = 4 * -(-self.constraints.image_max_bytes // 3)
        other_fields = other_fields_bytes(self.constraints)
        self.max_body_bytes = config.max_body_bytes or encoded_image + other_fields
        self.max_json_commas = (
            config.max_json_commas if config.max_json_commas is not None else other_fields
        )
        # How many digits a result index can have: those of the spec's largest n.
        self.result_index_digits = len(str(int(self.constraints.n_bound.maximum)))
        # Which parameter is which comes from kling_spec; each is validated by its schema.
        self.list_query = ListQuery.from_spec(self.spec)
        self.list_parameters = query_parameters(self.spec, CREATE_PATH, "get")
        self.store = TaskStore(
            max_tasks=config.max_tasks,
            max_stored_bytes=config.max_stored_bytes,
            ttl_ms=int(config.task_ttl_seconds * 1000),
        )
        self.renders = RenderCache(config.render_cache_bytes)
        for name in (
            "max_concurrent_decodes",
            "max_concurrent_large_bodies",
            "callback_concurrency",
        ):
            if getattr(config, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(config, name)}")
        for access_key, (secret_key, _) in config.kling_keys.items():
            check_secret(access_key, secret_key)
        self.decode_slots = threading.BoundedSemaphore(config.max_concurrent_decodes)
        largest_canvas = int(config.max_source_pixels * self.constraints.max_area_factor)
        budget = config.render_budget_pixels
        self.render_budget = PixelBudget(largest_canvas if budget is None else budget)
        self.large_body_slots = Slots(config.max_concurrent_large_bodies)
        self.journal = RequestJournal(
            config.journal_max_entries,
            max_bytes=config.journal_max_bytes,
            max_headers=config.journal_max_headers,
            header_bytes=config.journal_header_bytes,
        )
        self.faults = FaultPlan(config.fault_rates, config.seed)
        self.callbacks = CallbackQueue(
            secret=config.callback_secret,
            max_attempts=config.callback_max_attempts,
            backoff_seconds=config.callback_backoff_seconds,
            timeout_seconds=config.callback_timeout_seconds,
            max_entries=config.deliveries_max_entries,
            refusal=self.callback_refusal,
        )
        self._own_ports: set[int] = set()
        self._own_endpoints: set[tuple[str, int]] = set()
        if config.public_base_url:
            public = httpx.URL(config.public_base_url)
            default_port = 443 if public.scheme == "https" else 80
            self._own_endpoints.add((public.host.lower(), public.port or default_port))
        self.callback_slots = Slots(config.callback_concurrency)
        self._sending: set[asyncio.Task[None]] = set()
        # Unseeded, ids come from the operating system: no client can guess another's.
        self._random = (
            random.Random(config.seed) if config.seed is not None else random.SystemRandom()
        )
        self._result_key = (
            hashlib.sha256(f"kling-mock-results-{config.seed}".encode()).digest()
            if config.seed is not None
            else secrets.token_bytes(32)
        )
        self._events: list[tuple[int, int, str, int]] = []
        self._event_seq = 0
        self._lock = threading.Lock()

    # --- identity ---------------------------------------------------------------

    def new_request_id(self) -> str:
        """A UUID4-shaped id (reproducible under a fixed seed)."""
        with self._lock:
            bits = self._random.getrandbits(128)
        text = f"{bits & _UUID4_CLEAR | _UUID4_SET:032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def _new_task_id(self) -> str:
        with self._lock:
            while True:
                task_id = str(self._random.randrange(10**17, 10**18))
                if not self.store.contains_id(task_id):
                    return task_id

    def authenticate(self, authorization: str | None) -> str:
        """The account of a ``Bearer`` key: 401/1001 without one, 401/1002 for an unknown one."""
        scheme, _, key = (authorization or "").strip().partition(" ")
        key = key.strip()
        if not scheme or (scheme.lower() == "bearer" and not key):
            raise Unauthenticated(401, 1001, "Authorization is empty: send 'Bearer <your key>'")
        account = self.config.api_keys.get(key) if scheme.lower() == "bearer" else None
        if account is None and scheme.lower() == "bearer" and looks_like_jwt(key):
            return self.authenticate_jwt(key)
        if account is None:
            raise Unauthenticated(401, 1002, "Authorization: the bearer key is not valid")
        return account

    def authenticate_jwt(self, token: str) -> str:
        """The account of a Kling JWT, judged on this mock's clock (see ``_jwt_auth``)."""
        return verify_token(
            token,
            self.config.kling_keys,
            now=self.clock.now(),
            leeway=self.config.jwt_leeway_seconds,
        )

    def allowed_url(self, url: str) -> bool:
        return host_allowed(url, self.config.fetch_allowlist)

    def note_server(self, server: tuple[str, int | None] | None) -> None:
        """Remember a port this mock is served on (from a request's ASGI ``server``), so
        no URL a client gives can point the mock at itself. A host that is not an
        address (the in-process transport's made-up one) names no socket."""
        if server and server[1] is not None and server[1] not in self._own_ports:
            with contextlib.suppress(ValueError):
                ipaddress.ip_address(server[0].strip("[]"))
                self._own_ports.add(server[1])

    def reaches_self(self, url: str) -> bool:
        """Whether ``url`` points at this mock (its API, admin API or results)."""
        return reaches_self(url, self._own_ports, self._own_endpoints)

    def callback_refusal(self, url: str) -> str | None:
        """Why a callback to ``url`` is not sent, or ``None`` when it may be."""
        if not self.allowed_url(url):
            return "callback_url is not on the allowlist (or carries user info); not sent"
        if not port_usable(url):
            return f"callback_url's port is not one of 1-{MAX_PORT}; not sent"
        if self.reaches_self(url):
            return "callback_url points at this mock itself; not sent"
        return None

    # --- create -------------------------------------------------------------------

    def _unknown_fields(self, body: Mapping[str, Any]) -> list[Violation]:
        """Fields the spec does not name, when the config asks for them to be refused."""
        if self._known_fields is None:
            return []
        known = ", ".join(sorted(self._known_fields))
        return [
            Violation(name, f"{name} is not a field of the request (properties: {known})")
            for name in body
            if name not in self._known_fields
        ]

    async def create(
        self,
        account: str,
        body: Any,
        base_url: str,
        *,
        fails: bool = False,
        blocked: bool = False,
        parsed: bool = False,
    ) -> StoredTask:
        """Validate a create request against the spec and start its task.

        ``blocked`` refuses a valid request by content policy (400/1301); ``fails``
        accepts it and lets the task end ``failed``. ``parsed`` says ``body`` is what
        :func:`parse_json_body` returned, already walked for values JSON cannot carry.
        """
        constraints = self.constraints
        walked = parsed and self._parsed_bodies_walked
        violations = check_expand_request(
            body, constraints, parsed_json=walked
        ) or self._unknown_fields(body)
        if violations:
            raise RequestRefused(violations)
        source = await self._source(body[constraints.image_field])
        if blocked:
            raise MockError(
                400, 1301, f"{constraints.image_field}: blocked by content safety policy"
            )
        now_ms = self.clock.now_ms()
        # The schema allows an empty string; it names no task, so it is as if absent.
        external = body.get("external_task_id") or None
        if external is not None and self.store.by_external_id(account, external, now_ms):
            raise RequestRefused(
                [
                    Violation(
                        "external_task_id",
                        f"external_task_id {external[:100]!r} is already used by another task "
                        f"(it must be unique per {self._external_id_scope})",
                    )
                ]
            )
        if not fails and self.config.task_failure_rate:
            with self._lock:
                fails = self._random.random() < self.config.task_failure_rate
        processing_ms = now_ms + int(self.config.submitted_seconds * 1000)
        final_ms = processing_ms + int(self.config.processing_seconds * 1000)
        watermark_info = body.get("watermark_info") or {}
        task = StoredTask(
            task_id=self._new_task_id(),
            account=account,
            created_ms=now_ms,
            ratios={name: float(body[name]) for name in constraints.ratio_fields},
            n=int(body.get("n", constraints.n_default)),
            source=source,
            base_url=(self.config.public_base_url or base_url).rstrip("/"),
            external_task_id=external,
            watermark=watermark_info.get("enabled") is True,
            callback_url=body.get("callback_url"),
            schedule=(
                (now_ms, SUBMITTED),
                (processing_ms, PROCESSING),
                (final_ms, FAILED if fails else SUCCEED),
            ),
            failure_message=POLICY_FAILURE_MESSAGE if fails else "",
        )
        self.store.add(task, now_ms)
        if task.callback_url is not None:
            with self._lock:
                for step, (at_ms, _) in enumerate(task.schedule):
                    self._event_seq += 1
                    heapq.heappush(self._events, (at_ms, self._event_seq, task.task_id, step))
                if len(self._events) > 2 * len(task.schedule) * self.config.max_tasks:
                    # Evicted tasks leave their future status changes behind: drop them.
                    self._events = [e for e in self._events if self.store.contains_id(e[2])]
                    heapq.heapify(self._events)
        return task

    async def _source(self, image: str) -> SourceImage:
        constraints = self.constraints
        field = constraints.image_field
        try:
            data = decode_image_field(image, constraints)
        except RequestInvalid as exc:
            raise RequestRefused(exc.violations) from None
        if data is None:
            if not self.allowed_url(image):
                width, height = self.config.synthetic_size
                # The URL only seeds the picture: keep its digest, not a URL of any length.
                seed = hashlib.sha256(image.encode()).hexdigest()
                return SourceImage(None, width, height, synthetic_seed=seed)
            if self.reaches_self(image):
                raise RequestRefused(
                    [
                        Violation(
                            field,
                            f"{field}: the URL points at this mock itself; give an image "
                            "URL on another server, or the image as base64",
                        )
                    ]
                )
            max_bytes = self.config.fetch_max_bytes or constraints.image_max_bytes
            try:
                data = await fetch_bytes(
                    image,
                    max_bytes=max_bytes,
                    timeout_seconds=self.config.fetch_timeout_seconds,
                    transport=self.fetch_transport,
                )
            except FetchFailed as exc:
                raise RequestRefused([Violation(field, f"{field}: {exc}")]) from None
        try:
            info = inspect_image(data)
        except ImageError as exc:
            raise RequestRefused([Violation(field, f"{field}: {exc}")]) from None
        violations = check_image(info, constraints, max_pixels=self.config.max_source_pixels)
        if violations:
            raise RequestRefused(violations)
        source = SourceImage(data, info.width, info.height)
        try:
            await anyio.to_thread.run_sync(self._decode, source)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise RequestRefused(
                [
                    Violation(
                        field,
                        f"{field}: the {info.format} data cannot be decoded "
                        f"({_OBJECT_ADDRESS.sub('', str(exc))})",
                    )
                ]
            ) from None
        return source

    def _decode(self, source: SourceImage) -> None:
        with self.decode_slots:
            decode_source(source)

    # --- queries ------------------------------------------------------------------

    def get(self, account: str, task_id: str) -> StoredTask:
        now_ms = self.clock.now_ms()
        task = self.store.get(account, task_id, now_ms)
        if task is None and self.config.external_id_lookup == "list_filter_and_path":
            task = self.store.by_external_id(account, task_id, now_ms)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    def list_tasks(self, account: str, query: Mapping[str, str]) -> list[StoredTask]:
        """One page of the account's tasks, newest first, optionally by external_task_id."""
        values = {name: p.parse(query.get(name)) for name, p in self.list_parameters.items()}
        now_ms = self.clock.now_ms()
        names = self.list_query
        external = values.get(names.external_task_id)
        if external is not None:
            task = self.store.by_external_id(account, external, now_ms)
            return [task] if task is not None else []
        page, size = int(values[names.page_num.name]), int(values[names.page_size.name])
        start = (page - 1) * size
        return list(itertools.islice(self.store.newest_first(account, now_ms), start, start + size))

    def record(self, task: StoredTask, step: int | None = None) -> dict[str, Any]:
        """The task record as Kling sends it: now, or as it was at a step of its schedule."""
        if step is None:
            status, since_ms = task.status_at(self.clock.now_ms())
        else:
            since_ms, status = task.schedule[step]
        record: dict[str, Any] = {
            "task_id": task.task_id,
            "task_status": status,
            "task_status_msg": task.failure_message if status == FAILED else "",
            "task_info": (
                {"external_task_id": task.external_task_id} if task.external_task_id else {}
            ),
            "created_at": task.created_ms,
            "updated_at": since_ms,
            "task_result": {},
            "watermark_info": {"enabled": task.watermark},
        }
        if status == SUCCEED:
            record["task_result"] = {"images": [self._image_entry(task, i) for i in range(task.n)]}
            record["final_unit_deduction"] = str(task.n)
            record["final_balance_deduction"] = {"quota": task.n, "list_price": task.n}
        elif status == FAILED:
            record["final_unit_deduction"] = "0"
            record["final_balance_deduction"] = {"quota": 0, "list_price": 0}
        return record

    def result_token(self, task_id: str) -> str:
        """The unguessable part of a task's result URLs: whoever has the URL may download
        (as with a signed storage URL), nobody can make one up from a task id."""
        return hmac.new(self._result_key, task_id.encode(), hashlib.sha256).hexdigest()[:32]

    def _image_entry(self, task: StoredTask, index: int) -> dict[str, Any]:
        token = self.result_token(task.task_id)
        base = f"{task.base_url}{RESULTS_PREFIX}/{task.task_id}/{token}/{index}"
        entry: dict[str, Any] = {"index": index, "url": f"{base}.png"}
        if task.watermark:
            entry["watermark_url"] = f"{base}.watermarked.png"
        return entry

    # --- results --------------------------------------------------------------------

    def result_task(self, task_id: str, index: int, token: str = "") -> StoredTask:
        """The succeeded task a result URL points at (any account: URLs are capabilities,
        so the URL's token must be the task's)."""
        if not hmac.compare_digest(token.encode(), self.result_token(task_id).encode()):
            raise MockError(404, 1203, f"no result image {index} for task_id {task_id[:100]!r}")
        now_ms = self.clock.now_ms()
        self.store.expire(now_ms)
        task = self.store.find(task_id)
        if task is None or task.status_at(now_ms)[0] != SUCCEED or not 0 <= index < task.n:
            raise MockError(404, 1203, f"no result image {index} for task_id {task_id!r}")
        return task

    def result_max_age(self, task: StoredTask) -> int:
        """Seconds a downloaded result stays valid: until its task's TTL ends."""
        ends_ms = task.created_ms + self.store.ttl_ms
        return max(0, (ends_ms - self.clock.now_ms()) // 1000)

    def result_png(self, task: StoredTask, index: int, *, watermark: bool) -> bytes:
        """The rendered PNG (cached): render once, then serve from memory."""

        def render() -> bytes:
            source = task.source
            canvas = expanded_canvas(source.width, source.height, task.ratios, self.constraints)
            with self.render_budget.reserve(canvas.width * canvas.height), self.decode_slots:
                image = expand_image(source_pixels(source), canvas, index)
                if watermark:
                    watermark_in_place(image)
                data = encode_png(image, f"{task.task_id}/{index}")
                del image
            release_memory()
            return data

        key = f"{task.task_id}/{index}/{'w' if watermark else 'c'}"
        return self.renders.get_or_render(key, render)

    # --- time ------------------------------------------------------------------------

    @property
    def scheduled_callbacks(self) -> int:
        """Status changes still to come for tasks with a callback_url."""
        return len(self._events)

    def queue_due_callbacks(self) -> None:
        """Turn every status change up to now into a pending callback delivery."""
        if not self._events:
            return  # no callback is scheduled: nothing to take, no lock needed
        now_ms = self.clock.now_ms()
        while True:
            with self._lock:
                if not self._events or self._events[0][0] > now_ms:
                    return
                at_ms, _, task_id, step = heapq.heappop(self._events)
            task = self.store.find(task_id)
            if task is not None and task.callback_url is not None:
                record = self.record(task, step)
                status = record["task_status"]
                self.callbacks.add(task_id, status, task.callback_url, record, at_ms)

    def _take_due_deliveries(self) -> list[Delivery]:
        self.queue_due_callbacks()
        return self.callbacks.take_due(self.clock.now_ms())

    def _callback_client(self) -> httpx.AsyncClient:
        transport = self.callback_transport
        if isinstance(transport, httpx.BaseTransport) and not isinstance(
            transport, httpx.AsyncBaseTransport
        ):
            transport = ThreadedTransport(transport)
        # The attempt's own deadline bounds it as a whole; httpx's bounds each step.
        timeout = self.callbacks.timeout_seconds
        return httpx.AsyncClient(transport=transport, timeout=timeout)

    async def _send(self, due: list[Delivery]) -> None:
        """Send ``due`` concurrently, at most ``callback_concurrency`` attempts at once.

        One task's status changes go out one after another, in order (a receiver must
        not see ``succeed`` before ``submitted``); different tasks' go out side by side.
        """
        by_task: dict[str, list[Delivery]] = {}
        for delivery in due:
            by_task.setdefault(delivery.task_id, []).append(delivery)

        async def in_order(client: httpx.AsyncClient, deliveries: list[Delivery]) -> None:
            for delivery in deliveries:
                async with self.callback_slots.hold():
                    headers = self.callbacks.headers(delivery, time.time())
                    timeout = self.callbacks.timeout_seconds
                    outcome = await attempt(client, delivery, headers, timeout)
                    self.callbacks.settle(delivery, self.clock.now_ms(), *outcome)

        async with self._callback_client() as client:
            await asyncio.gather(*(in_order(client, group) for group in by_task.values()))

    def deliver_due(self) -> int:
        """Send every callback due by now and wait for the attempts; returns how many.

        Runs the attempts on an event loop of its own, in a short-lived thread, so it
        can be called from sync code and from inside a running loop alike.
        """
        due = self._take_due_deliveries()
        if due:
            worker = threading.Thread(target=asyncio.run, args=(self._send(due),))
            worker.start()
            worker.join()
        return len(due)

    async def deliver_due_async(self) -> int:
        """Send every callback due by now and await the attempts; returns how many."""
        due = self._take_due_deliveries()
        if due:
            await self._send(due)
        return len(due)

    async def start_due_deliveries(self, wait_seconds: float = 0.0) -> int:
        """Start sending every callback due by now without waiting for slow receivers.

        The attempts run on the current event loop; this waits at most ``wait_seconds``
        for them (so quick receivers are done when it returns) and returns how many it
        started. :meth:`stop_deliveries` cancels the ones still running.
        """
        due = self._take_due_deliveries()
        if not due:
            return 0
        sending = asyncio.create_task(self._send(due))
        self._sending.add(sending)
        sending.add_done_callback(self._sending.discard)
        if wait_seconds > 0:
            await asyncio.wait({sending}, timeout=wait_seconds)
        return len(due)

    async def stop_deliveries(self) -> None:
        """Cancel the attempts :meth:`start_due_deliveries` left running (at shutdown)."""
        running = list(self._sending)
        for sending in running:
            sending.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def reset(self) -> None:
        """Forget every task, journal entry, delivery, rendered image and queued fault."""
        self.store.clear()
        self.renders.clear()
        self.journal.clear()
        self.callbacks.clear()
        self.faults.reset()
        with self._lock:
            self._events.clear()
