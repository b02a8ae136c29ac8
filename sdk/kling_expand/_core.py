"""The logic sync and async clients share, written once as plans.

A *plan* is a generator that yields effects (:class:`Call` to send one API
request through a generated ``*_detailed`` function, :class:`Fetch` to
download a URL, :class:`Sleep` to wait) and receives their results. Here:
request building, answers into models or typed errors, retries and the safe
create; polling (``_polling.py``) and downloads (``_downloads.py``) are plans
too. The sync and async drivers in ``_transport.py`` only perform effects, so
a retry rule or a polling schedule lives in one place and both clients follow it.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx

from kling_spec import ExpandConstraints

from ._exceptions import (
    APIStatusError,
    InvalidRequestError,
    KlingError,
    NotFoundError,
    make_status_error,
)
from ._gateway import Gateway
from ._models import Task
from ._retry import (
    Clock,
    PollPolicy,
    RetryPolicy,
    outcome_unknown,
    parse_retry_after,
    should_retry,
)

if TYPE_CHECKING:
    from kling_expand_api.models import ExpandImageRequest

# The generated client is imported where a request is planned, not with the SDK.

logger = logging.getLogger("kling_expand")

T = TypeVar("T")

LookupMode = Literal["list", "path"]


@dataclass(frozen=True)
class Call:
    """Send one API request through a generated ``*_detailed`` function."""

    operation: ModuleType
    kwargs: Mapping[str, Any]
    label: str
    timeout: httpx.Timeout | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # On the settings' clock: the request may take only the time left before it.
    deadline: float | None = None


@dataclass(frozen=True)
class Exchange:
    """An answer: status, headers, raw body, and the generated model when it parsed."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    parsed: object | None


@dataclass(frozen=True)
class Fetch:
    """Download ``url``, reading at most ``max_bytes`` of its body."""

    url: str
    max_bytes: int
    timeout: httpx.Timeout | None = None


@dataclass(frozen=True)
class Fetched:
    """A download's answer: status, headers, the body read (empty when ``too_large``)."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    too_large: bool

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", ""))


@dataclass(frozen=True)
class Sleep:
    seconds: float


Effect = Call | Fetch | Sleep
Plan = Generator[Effect, Any, T]


@dataclass(frozen=True)
class Settings:
    """Everything a plan needs to know, resolved once per client (and per call options)."""

    gateway: Gateway  # the service, its paths and credential (``_gateway.py``)
    timeout: httpx.Timeout
    retry: RetryPolicy
    poll: PollPolicy
    clock: Clock
    rand: Callable[[], float]
    constraints: ExpandConstraints = field(repr=False)
    page_size: int  # the list operation's pageSize default, read from the spec
    max_page: int  # the list operation's largest pageNum, read from the spec
    lookup: LookupMode = "list"
    new_external_id: Callable[[], str] = field(default=lambda: f"kx-{uuid.uuid4().hex}")
    download_max_bytes: int = 64 * 1024 * 1024
    call_timeout: httpx.Timeout | None = None
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.gateway.base_url

    @property
    def secrets(self) -> tuple[str, ...]:
        """What no error or log line may show: the key(s) and the current token."""
        return self.gateway.secrets

    def with_call_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Settings:
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["call_timeout"] = as_timeout(timeout)
        if max_retries is not None:
            changes["retry"] = dataclasses.replace(self.retry, max_retries=max_retries)
        if extra_headers:
            changes["extra_headers"] = {**self.extra_headers, **extra_headers}
        return dataclasses.replace(self, **changes) if changes else self

    def call(self, operation: ModuleType, label: str, **kwargs: Any) -> Call:
        return Call(operation, kwargs, label, self.call_timeout, self.extra_headers)


def as_timeout(value: float | httpx.Timeout) -> httpx.Timeout:
    return value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)


# --- answers into models or errors --------------------------------------------


def error_of(answer: Exchange | Fetched, settings: Settings) -> APIStatusError:
    """The typed error for an answer (the API's, or a download's) that is not a success.

    Its ``retry_after`` is the answer's ``Retry-After``, which ``retrying`` waits for.
    """
    retry_after = parse_retry_after(answer.headers.get("retry-after"))
    return make_status_error(
        answer.status_code,
        answer.content,
        retry_after=retry_after,
        redact=settings.secrets,
    )


def _succeeded(parsed: object, kind: type[T], exchange: Exchange) -> T | None:
    if exchange.status_code != 200 or not isinstance(parsed, kind):
        return None
    code = getattr(parsed, "code", None)
    return parsed if str(code) == "0" else None


def task_of(exchange: Exchange, settings: Settings) -> Task:
    from kling_expand_api.models import TaskEnvelope

    envelope = _succeeded(exchange.parsed, TaskEnvelope, exchange)
    if envelope is None:
        raise error_of(exchange, settings)
    request_id = envelope.request_id if isinstance(envelope.request_id, str) else None
    return Task.from_record(envelope.data, request_id=request_id)


def tasks_of(exchange: Exchange, settings: Settings) -> list[Task]:
    from kling_expand_api.models import TaskListEnvelope

    envelope = _succeeded(exchange.parsed, TaskListEnvelope, exchange)
    if envelope is None:
        raise error_of(exchange, settings)
    request_id = envelope.request_id if isinstance(envelope.request_id, str) else None
    return [Task.from_record(record, request_id=request_id) for record in envelope.data]


# --- plans ----------------------------------------------------------------------


def _backoff(settings: Settings, retry_number: int, error: KlingError) -> float:
    """Seconds before retry ``retry_number``: the service's Retry-After, else the policy's."""
    retry_after = getattr(error, "retry_after", None)
    return settings.retry.delay(retry_number, retry_after=retry_after, rand=settings.rand)


def retrying(
    settings: Settings,
    step: Callable[[], Plan[T]],
    label: str,
    deadline: float | None = None,
) -> Plan[T]:
    """Run ``step`` again after a passing failure, with backoff, up to the policy's count.

    With a ``deadline`` (on the settings' clock) no wait runs past it: when the
    next attempt could not start before the deadline, the wait is cut to it and
    the failure raised.
    """
    retry_number = 0
    while True:
        try:
            return (yield from step())
        except KlingError as error:
            if not should_retry(error) or retry_number >= settings.retry.max_retries:
                raise
            delay = _backoff(settings, retry_number, error)
            if deadline is not None:
                remaining = deadline - settings.clock.monotonic()
                if delay >= remaining:
                    if remaining > 0:
                        yield Sleep(remaining)
                    raise error
            logger.info("%s failed (%s); retry %d in %.2f s", label, error, retry_number + 1, delay)
            yield Sleep(delay)
            retry_number += 1


def _call(settings: Settings, call: Call, parse: Callable[[Exchange, Settings], T]) -> Plan[T]:
    exchange: Exchange = yield call
    return parse(exchange, settings)


def get_task(settings: Settings, task_id: str, deadline: float | None = None) -> Plan[Task]:
    from kling_expand_api.api.image_expansion import get_image_expansion_task

    call = settings.call(get_image_expansion_task, f"GET task {task_id}", task_id=task_id)
    call = dataclasses.replace(call, deadline=deadline)
    step = lambda: _call(settings, call, task_of)  # noqa: E731 - a plan factory, built per attempt
    return (yield from retrying(settings, step, call.label, deadline))


def list_page(
    settings: Settings, page_num: int, page_size: int, external_task_id: str | None = None
) -> Plan[list[Task]]:
    from kling_expand_api.api.image_expansion import list_image_expansion_tasks
    from kling_expand_api.types import UNSET

    call = settings.call(
        list_image_expansion_tasks,
        f"GET tasks page {page_num}",
        page_num=page_num,
        page_size=page_size,
        external_task_id=UNSET if external_task_id is None else external_task_id,
    )
    return (yield from retrying(settings, lambda: _call(settings, call, tasks_of), call.label))


def next_page(settings: Settings, page_num: int, page: list[Task], page_size: int) -> int | None:
    """The page after ``page_num``, or None when ``page`` was the last one (short, or the
    spec's largest page number)."""
    if len(page) < page_size or page_num >= settings.max_page:
        return None
    return page_num + 1


def find_by_external_id(settings: Settings, external_task_id: str) -> Plan[Task | None]:
    """The task created with ``external_task_id``, or None if there is none (yet).

    A server that ignores the list filter returns other tasks too: the id is matched
    here, page after page, until found or the pages run out (at most the spec's
    largest page number).
    """
    if settings.lookup == "path":
        try:
            return (yield from get_task(settings, external_task_id))
        except NotFoundError:
            return None
    page_num: int | None = 1
    while page_num is not None:
        page = yield from list_page(settings, page_num, settings.page_size, external_task_id)
        for task in page:
            if task.external_task_id == external_task_id:
                return task
        page_num = next_page(settings, page_num, page, settings.page_size)
    return None


def create_task(
    settings: Settings, body: ExpandImageRequest, *, may_exist: bool = False
) -> Plan[Task]:
    """Submit ``body`` so that at most one task comes of it, however the network behaves.

    The body always carries an ``external_task_id``. After a failure that leaves
    open whether the service created the task (a timeout, a dropped connection,
    a 5xx, a success whose body cannot be read) the task is looked up by that id;
    only when it is certainly absent is the request sent again, and only if the
    failure is one worth retrying (else it is raised). ``may_exist`` says an
    earlier attempt (say, before a crash) may already have created it, so a
    refusal is checked the same way.
    """
    from kling_expand_api.api.image_expansion import kling_image_expansion

    external_task_id = body.external_task_id
    if not isinstance(external_task_id, str) or not external_task_id:
        raise ValueError("a create request needs an external_task_id to be resent safely")
    call = settings.call(kling_image_expansion, "POST create", body=body)
    retry_number = 0
    maybe_created = may_exist
    while True:
        try:
            return (yield from _call(settings, call, task_of))
        except KlingError as error:
            unknown = outcome_unknown(error)
            if maybe_created and isinstance(error, InvalidRequestError):
                # A resend refused as a duplicate id: the first attempt did create it.
                unknown = True
            if not (unknown or should_retry(error)):
                raise
            if unknown:
                maybe_created = True
                existing = yield from _look_up_after(settings, external_task_id, error)
                if existing is not None:
                    logger.info("create of %s did land: task %s", external_task_id, existing.id)
                    return existing
                if not should_retry(error):
                    raise
            if retry_number >= settings.retry.max_retries:
                raise
            delay = _backoff(settings, retry_number, error)
            logger.info("create failed (%s); resubmitting in %.2f s", error, delay)
            yield Sleep(delay)
            retry_number += 1


def _look_up_after(
    settings: Settings, external_task_id: str, error: KlingError
) -> Plan[Task | None]:
    try:
        return (yield from find_by_external_id(settings, external_task_id))
    except KlingError as lookup_error:
        # Unable to tell whether the task exists: resending could pay twice.
        raise error from lookup_error
