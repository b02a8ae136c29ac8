"""The logic sync and async clients share, written once as plans.

A *plan* is a generator that yields effects (:class:`Call` to send one API
request through a generated ``*_detailed`` function, :class:`Fetch` to
download a URL, :class:`Sleep` to wait) and receives their results. Retries,
the safe create, polling with a deadline and downloads are plans; the sync and
async drivers in ``_transport.py`` only perform effects. So a retry rule or a
polling schedule lives in one place and both clients follow it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import uuid
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, TypeVar

import httpx

from kling_expand_api.api.image_expansion import (
    get_image_expansion_task,
    kling_image_expansion,
    list_image_expansion_tasks,
)
from kling_expand_api.models import (
    ExpandImageRequest,
    TaskEnvelope,
    TaskListEnvelope,
)
from kling_expand_api.types import UNSET
from kling_spec import ExpandConstraints

from ._exceptions import (
    DownloadError,
    InvalidRequestError,
    KlingError,
    NotFoundError,
    TaskFailedError,
    WaitTimeoutError,
    make_status_error,
)
from ._models import ResultImage, SavedImage, Task
from ._retry import Clock, RetryPolicy, outcome_unknown, parse_retry_after, should_retry

logger = logging.getLogger("kling_expand")

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.cometapi.com"
LookupMode = Literal["list", "path"]


@dataclass(frozen=True)
class Call:
    """Send one API request through a generated ``*_detailed`` function."""

    operation: ModuleType
    kwargs: Mapping[str, Any]
    label: str
    timeout: httpx.Timeout | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


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
    status_code: int
    content_type: str
    content: bytes
    too_large: bool


@dataclass(frozen=True)
class Sleep:
    seconds: float


Effect = Call | Fetch | Sleep
Plan = Generator[Effect, Any, T]


@dataclass(frozen=True)
class PollPolicy:
    """How ``wait`` polls: gaps of ``interval`` s growing by ``multiplier`` to ``max_interval``.

    CometAPI suggests 20-30 s between polls of an image task, hence the cap.
    """

    timeout: float = 600.0
    interval: float = 5.0
    max_interval: float = 30.0
    multiplier: float = 1.5

    def __post_init__(self) -> None:
        if self.timeout < 0 or self.interval <= 0 or self.max_interval <= 0:
            raise ValueError("poll timeout must be >= 0 and intervals > 0")


@dataclass(frozen=True)
class Settings:
    """Everything a plan needs to know, resolved once per client (and per call options)."""

    api_key: str = field(repr=False)
    base_url: str
    timeout: httpx.Timeout
    retry: RetryPolicy
    poll: PollPolicy
    clock: Clock
    rand: Callable[[], float]
    constraints: ExpandConstraints = field(repr=False)
    lookup: LookupMode = "list"
    new_external_id: Callable[[], str] = field(default=lambda: f"kx-{uuid.uuid4().hex}")
    download_max_bytes: int = 64 * 1024 * 1024
    call_timeout: httpx.Timeout | None = None
    extra_headers: Mapping[str, str] = field(default_factory=dict)

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


def error_of(exchange: Exchange, settings: Settings) -> KlingError:
    """The typed error for an answer that is not a success."""
    retry_after = parse_retry_after(exchange.headers.get("retry-after"))
    return make_status_error(
        exchange.status_code,
        exchange.content,
        retry_after=retry_after,
        redact=(settings.api_key,),
    )


def _succeeded(parsed: object, kind: type[T], exchange: Exchange) -> T | None:
    if exchange.status_code != 200 or not isinstance(parsed, kind):
        return None
    code = getattr(parsed, "code", None)
    return parsed if str(code) == "0" else None


def task_of(exchange: Exchange, settings: Settings) -> Task:
    envelope = _succeeded(exchange.parsed, TaskEnvelope, exchange)
    if envelope is None:
        raise error_of(exchange, settings)
    request_id = envelope.request_id if isinstance(envelope.request_id, str) else None
    return Task.from_record(envelope.data, request_id=request_id)


def tasks_of(exchange: Exchange, settings: Settings) -> list[Task]:
    envelope = _succeeded(exchange.parsed, TaskListEnvelope, exchange)
    if envelope is None:
        raise error_of(exchange, settings)
    request_id = envelope.request_id if isinstance(envelope.request_id, str) else None
    return [Task.from_record(record, request_id=request_id) for record in envelope.data]


# --- plans ----------------------------------------------------------------------


def retrying(
    settings: Settings,
    step: Callable[[], Plan[T]],
    label: str,
    deadline: float | None = None,
) -> Plan[T]:
    """Run ``step`` again after a passing failure, with backoff, up to the policy's count.

    With a ``deadline`` (on the settings' clock) no wait may run past it: the
    failure is raised instead.
    """
    retry_number = 0
    while True:
        try:
            return (yield from step())
        except KlingError as error:
            if not should_retry(error) or retry_number >= settings.retry.max_retries:
                raise
            delay = settings.retry.delay(
                retry_number, retry_after=getattr(error, "retry_after", None), rand=settings.rand
            )
            if deadline is not None and settings.clock.monotonic() + delay > deadline:
                raise
            logger.info("%s failed (%s); retry %d in %.2f s", label, error, retry_number + 1, delay)
            yield Sleep(delay)
            retry_number += 1


def _call(settings: Settings, call: Call, parse: Callable[[Exchange, Settings], T]) -> Plan[T]:
    exchange: Exchange = yield call
    return parse(exchange, settings)


def get_task(settings: Settings, task_id: str, deadline: float | None = None) -> Plan[Task]:
    call = settings.call(get_image_expansion_task, f"GET task {task_id}", task_id=task_id)
    step = lambda: _call(settings, call, task_of)  # noqa: E731 - a plan factory, built per attempt
    return (yield from retrying(settings, step, call.label, deadline))


def list_page(
    settings: Settings, page_num: int, page_size: int, external_task_id: str | None = None
) -> Plan[list[Task]]:
    call = settings.call(
        list_image_expansion_tasks,
        f"GET tasks page {page_num}",
        page_num=page_num,
        page_size=page_size,
        external_task_id=UNSET if external_task_id is None else external_task_id,
    )
    return (yield from retrying(settings, lambda: _call(settings, call, tasks_of), call.label))


def find_by_external_id(settings: Settings, external_task_id: str) -> Plan[Task | None]:
    """The task created with ``external_task_id``, or None if there is none (yet)."""
    if settings.lookup == "path":
        try:
            return (yield from get_task(settings, external_task_id))
        except NotFoundError:
            return None
    page = yield from list_page(settings, 1, 30, external_task_id)
    # A server that ignores the filter returns other tasks too: match the id ourselves.
    matches = [task for task in page if task.external_task_id == external_task_id]
    return matches[0] if matches else None


def create_task(settings: Settings, body: ExpandImageRequest) -> Plan[Task]:
    """Submit ``body`` so that at most one task comes of it, however the network behaves.

    The body always carries an ``external_task_id``. After a failure that leaves
    open whether the service created the task (a timeout, a dropped connection,
    a 5xx) the task is looked up by that id; only when it is certainly absent is
    the request sent again.
    """
    external_task_id = body.external_task_id
    assert isinstance(external_task_id, str), "create bodies always carry an external_task_id"
    call = settings.call(kling_image_expansion, "POST create", body=body)
    retry_number = 0
    maybe_created = False
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
            delay = settings.retry.delay(
                retry_number, retry_after=getattr(error, "retry_after", None), rand=settings.rand
            )
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


def wait_for(
    settings: Settings,
    task_id: str,
    *,
    timeout: float | None = None,
    poll_interval: float | None = None,
    on_progress: Callable[[Task], object] | None = None,
) -> Plan[Task]:
    """Poll ``task_id`` until it succeeds (returned), fails or the deadline passes (raised).

    The first poll is immediate; the gaps grow by the policy's multiplier and never
    overshoot the deadline. A status the spec does not know counts as running.
    """
    policy = settings.poll
    limit = policy.timeout if timeout is None else timeout
    interval = policy.interval if poll_interval is None else poll_interval
    if interval <= 0:
        raise ValueError(f"poll_interval must be positive, got {interval}")
    deadline = settings.clock.monotonic() + limit
    while True:
        task = yield from get_task(settings, task_id, deadline)
        if on_progress is not None:
            on_progress(task)
        if task.succeeded:
            return task
        if task.failed:
            raise TaskFailedError(
                task.id, task.status_message, status_code=200, request_id=task.request_id
            )
        remaining = deadline - settings.clock.monotonic()
        if remaining <= 0:
            raise WaitTimeoutError(task_id, limit, task.status_text)
        yield Sleep(min(interval, remaining))
        interval = min(max(policy.max_interval, interval), interval * policy.multiplier)


# --- downloads ------------------------------------------------------------------

IMAGE_SUFFIXES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
}


def _checked_download(settings: Settings, url: str, max_bytes: int) -> Plan[Fetched]:
    fetched: Fetched = yield Fetch(url, max_bytes, settings.call_timeout)
    if fetched.status_code >= 400:
        error = make_status_error(fetched.status_code, fetched.content, redact=(settings.api_key,))
        if error.retryable:
            raise error
        raise DownloadError(
            f"downloading {url} failed with HTTP {fetched.status_code}",
            url=url,
            status_code=fetched.status_code,
        )
    return fetched


def download_image(
    settings: Settings, image: ResultImage, *, watermarked: bool = False
) -> Plan[tuple[bytes, str]]:
    """Fetch one result image; check it is an image of the type announced and not too big."""
    url = image.watermark_url if watermarked and image.watermark_url else image.url
    max_bytes = settings.download_max_bytes
    fetched = yield from retrying(
        settings, lambda: _checked_download(settings, url, max_bytes), f"download {url}"
    )
    content_type = fetched.content_type.split(";")[0].strip().lower()
    if fetched.too_large:
        raise DownloadError(f"{url} is larger than {max_bytes} bytes", url=url)
    if content_type not in IMAGE_SUFFIXES:
        raise DownloadError(f"{url} is {content_type or 'untyped'}, not an image", url=url)
    detected = sniff_image_type(fetched.content)
    if detected is None or IMAGE_SUFFIXES[detected] != IMAGE_SUFFIXES[content_type]:
        raise DownloadError(
            f"{url} says {content_type} but its bytes are {detected or 'not an image'}", url=url
        )
    return fetched.content, content_type


def sniff_image_type(data: bytes) -> str | None:
    """The image media type the leading bytes announce, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def write_atomically(directory: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``directory/name`` via a temporary file and a rename.

    A reader (or a resumed batch) sees either no file or the whole file, never a
    half-written one.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    handle, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def image_file_name(task: Task, image: ResultImage, content_type: str) -> str:
    return f"{task.id}_{image.index}{IMAGE_SUFFIXES[content_type]}"


def save_images(
    settings: Settings,
    task: Task,
    directory: Path,
    *,
    watermarked: bool = False,
    on_saved: Callable[[SavedImage], object] | None = None,
    skip_existing: bool = False,
) -> Plan[list[SavedImage]]:
    """Download every image of ``task`` into ``directory``; return what was written."""
    saved: list[SavedImage] = []
    for image in task.images:
        existing = _existing_file(directory, task, image) if skip_existing else None
        if existing is not None:
            saved.append(existing)
            continue
        data, content_type = yield from download_image(settings, image, watermarked=watermarked)
        path = write_atomically(directory, image_file_name(task, image, content_type), data)
        item = SavedImage(image.index, path, content_type, len(data))
        saved.append(item)
        if on_saved is not None:
            on_saved(item)
    return saved


def _existing_file(directory: Path, task: Task, image: ResultImage) -> SavedImage | None:
    for content_type, suffix in IMAGE_SUFFIXES.items():
        path = directory / f"{task.id}_{image.index}{suffix}"
        if path.is_file():
            return SavedImage(image.index, path, content_type, path.stat().st_size)
    return None


def redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
