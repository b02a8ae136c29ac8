"""Batches: expand many images at once, resumable after a crash, never paying twice.

Every step is appended to a JSONL journal before or after it happens:

* ``submitting`` (the item's key and the ``external_task_id`` about to be sent),
* ``submitted`` (the task id the service gave it),
* ``saved`` (the files written) or ``failed`` (the reason).

Run the same batch again with the same journal and each item resumes where it
stopped: a saved item is skipped (its files re-checked), a submitted task is
waited for and its missing files downloaded, and an item whose create may or
may not have landed is looked up by its ``external_task_id`` before anything is
sent again. A task that failed is reported, not resubmitted.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Required, TypedDict, Unpack

from kling_spec import ExpandConstraints

from ._downloads import saved_file
from ._exceptions import (
    InputValidationError,
    InvalidRequestError,
    KlingError,
    NotFoundError,
    PolicyError,
    TaskFailedError,
)
from ._images import ImageInput, file_of, is_pil_image, url_of
from ._models import SavedImage, Task
from ._polling import check_wait


@dataclass(frozen=True)
class BatchEngine:
    """The async client's parts a batch runs on, lent to it explicitly.

    ``submit(image, params, may_exist)`` creates the task (checked first, as
    ``submit`` does); ``new_external_id`` invents an ``external_task_id``;
    ``account`` is a fingerprint of the key (a hash, never the key).
    """

    base_url: str
    constraints: ExpandConstraints
    get_by_external_id: Callable[[str], Awaitable[Task | None]]
    wait: Callable[..., Awaitable[Task]]
    download: Callable[..., Awaitable[list[SavedImage]]]
    submit: Callable[[ImageInput, Mapping[str, Any], bool], Awaitable[Task]]
    new_external_id: Callable[[], str]
    account: str


Stage = Literal["submitted", "polled", "saved", "failed", "skipped"]


@dataclass(frozen=True)
class BatchItem:
    """One image of a batch, with its own request parameters.

    ``key`` identifies the item across runs; it names the item in the journal.
    The default is the image's source plus a digest of the parameters, so the
    same image asked for differently is a new item. The source is what stays
    the same however the image is spelled: a file's resolved absolute path
    (``./a.jpg`` and ``/abs/a.jpg`` are one item), a URL with its scheme in lower
    case, and a hash of the content for bytes, a PIL image or base64 text.
    """

    image: ImageInput
    params: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None

    def identity(self) -> str:
        if self.key:
            return self.key
        return f"{_source_of(self.image)}#{self._params_digest()}"

    def legacy_identity(self) -> str | None:
        """The key journals written before sources were resolved gave this item, if other.

        Then a path or text was keyed as spelled, so a rerun spelled the same way
        still finds its steps.
        """
        if self.key or not isinstance(self.image, str | os.PathLike):
            return None
        legacy = f"{os.fspath(self.image)}#{self._params_digest()}"
        return legacy if legacy != self.identity() else None

    def _params_digest(self) -> str:
        asked = {k: v for k, v in self.params.items() if k not in ("options", "external_task_id")}
        digest = hashlib.sha256(json.dumps(asked, sort_keys=True, default=repr).encode())
        return digest.hexdigest()[:12]


def _source_of(image: ImageInput) -> str:
    """What names ``image`` in a key, however it was spelled (see :class:`BatchItem`)."""
    if isinstance(image, bytes | bytearray | memoryview):
        return "sha256:" + hashlib.sha256(image).hexdigest()
    if is_pil_image(image):
        pixels = hashlib.sha256(f"{image.mode} {image.width}x{image.height} ".encode())
        pixels.update(image.tobytes())
        return "pixels-sha256:" + pixels.hexdigest()
    if isinstance(image, os.PathLike):
        return str(Path(image).resolve())
    text = image.strip()
    url = url_of(text)
    if url is not None:
        return url
    path = file_of(text)
    if path is not None:
        return str(path.resolve())
    # base64 (or text no file answers to): its content, wrapped over lines or not
    return "text-sha256:" + hashlib.sha256("".join(text.split()).encode()).hexdigest()


def _scope_of(image: ImageInput, engine: BatchEngine) -> str:
    """A digest of what a journal's steps for ``image`` hold for: the content, the
    service and the account (a hash of the key, never the key itself).

    A file is hashed as it is now, so a file replaced by another picture is a new
    item; a URL stands for whatever it serves.
    """
    digest = hashlib.sha256()
    content = _content_of(image, engine.constraints.image_max_bytes)
    for part in (content, engine.base_url, engine.account):
        digest.update(hashlib.sha256(part.encode()).digest())
    return digest.hexdigest()[:32]


def _content_of(image: ImageInput, max_bytes: int) -> str:
    """The content digest of a file (at most ``max_bytes`` + 1 of it), else its source."""
    source = _source_of(image)
    path = (
        None
        if isinstance(image, bytes | bytearray | memoryview) or is_pil_image(image)
        else Path(source)
    )
    if path is None or not path.is_absolute() or not path.is_file():
        return source
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            digest.update(stream.read(max_bytes + 1))
    except OSError:
        return source  # unreadable: submitting it says why
    return "sha256:" + digest.hexdigest()


@dataclass(frozen=True)
class BatchOutcome:
    """How one item ended.

    ``saved``: its files are on disk. ``failed``: final (the task failed, or the
    request was refused); a rerun reports it again without resending. ``error``:
    something passing (an outage, the wait's deadline); a rerun resumes it.
    """

    key: str
    status: Literal["saved", "failed", "error"]
    task_id: str | None = None
    saved: tuple[SavedImage, ...] = ()
    error: str | None = None
    resumed: bool = False
    exception: KlingError | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class BatchEvent:
    """A step of one item, for progress displays."""

    key: str
    stage: Stage
    task: Task | None = None
    saved: SavedImage | None = None


@dataclass
class _Entry:
    external_task_id: str | None = None
    task_id: str | None = None
    files: list[str] = field(default_factory=list)
    failed: str | None = None
    saved: bool = False
    scope: str | None = None  # what the steps were taken for (see :func:`_scope_of`)


class Journal:
    """An append-only JSONL record of a batch; each line is flushed to disk when written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, _Entry] = {}
        if path.exists():
            self._load()

    def _load(self) -> None:
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # a line torn by a crash mid-write: the steps before it stand
                if isinstance(event, Mapping) and isinstance(event.get("key"), str):
                    self._apply(event)

    def _apply(self, event: Mapping[str, Any]) -> None:
        scope = event.get("scope") if isinstance(event.get("scope"), str) else None
        entry = self.entries.get(event["key"])
        if entry is None or (scope is not None and entry.scope not in (None, scope)):
            # Steps taken for other content, another service or another account are
            # not this item's: it starts again.
            entry = self.entries[event["key"]] = _Entry()
        entry.scope = entry.scope or scope
        kind = event.get("event")
        if isinstance(event.get("task_id"), str):
            entry.task_id = event["task_id"]
        if kind == "submitting":
            entry.external_task_id = event.get("external_task_id")
        elif kind == "saved":
            entry.saved, entry.files = True, list(event.get("files", []))
        elif kind == "failed":
            entry.failed = str(event.get("error", "failed"))

    def adopt(self, key: str, legacy: str | None) -> None:
        """Let ``key`` carry on from the steps recorded under ``legacy``, when it has none."""
        if key not in self.entries and legacy is not None and legacy in self.entries:
            self.entries[key] = self.entries[legacy]

    def record(self, key: str, event: str, **data: Any) -> None:
        line = {"event": event, "key": key, **data}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(line) + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        self._apply(line)


class BatchOptions(TypedDict, total=False):
    """Where a batch writes, how wide it runs, and how long each item may wait.

    ``out_dir`` receives the images; ``journal`` defaults to ``out_dir/journal.jsonl``;
    ``concurrency`` bounds the items in flight; ``on_event`` sees every step;
    ``timeout`` and ``poll_interval`` go to each item's wait.
    """

    out_dir: Required[str | os.PathLike[str]]
    journal: str | os.PathLike[str] | None
    concurrency: int
    on_event: Callable[[BatchEvent], object]
    timeout: float
    poll_interval: float


async def expand_many(
    engine: BatchEngine,
    items: Iterable[BatchItem | ImageInput],
    **options: Unpack[BatchOptions],
) -> list[BatchOutcome]:
    """Expand every item with at most ``concurrency`` in flight; see the module docstring.

    One outcome per item, in the order given.
    """
    out_dir = options["out_dir"]
    journal = options.get("journal")
    concurrency = options.get("concurrency", 4)
    on_event = options.get("on_event")
    wait: dict[str, Any] = {k: v for k, v in options.items() if k in ("timeout", "poll_interval")}
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    check_wait(wait.get("timeout"), wait.get("poll_interval"))  # before any item is paid for
    batch = [item if isinstance(item, BatchItem) else BatchItem(item) for item in items]
    keys = [item.identity() for item in batch]
    if len(set(keys)) != len(keys):
        raise ValueError(
            "two batch items share a key (the same image asked for the same way): "
            "give each a distinct key= to expand it twice"
        )
    directory = Path(out_dir)
    log = Journal(Path(journal) if journal is not None else directory / "journal.jsonl")
    for item, key in zip(batch, keys, strict=True):
        log.adopt(key, item.legacy_identity())
    import asyncio  # loaded already: this runs in an event loop

    gate = asyncio.Semaphore(concurrency)
    runner = _ItemRunner(engine, log, directory, on_event or (lambda event: None), wait)

    async def run(item: BatchItem, key: str) -> BatchOutcome:
        async with gate:
            return await runner.run(item, key)

    return list(
        await asyncio.gather(*(run(item, key) for item, key in zip(batch, keys, strict=True)))
    )


_FINAL_ERRORS = (TaskFailedError, InputValidationError, InvalidRequestError, PolicyError)


class _ItemRunner:
    def __init__(
        self,
        engine: BatchEngine,
        journal: Journal,
        directory: Path,
        emit: Callable[[BatchEvent], object],
        wait: Mapping[str, Any],
    ) -> None:
        self.engine = engine
        self.client = engine
        self.journal = journal
        self.directory = directory
        self.emit = emit
        self.wait = dict(wait)
        self._scopes: dict[str, str] = {}

    def _record(self, key: str, event: str, **data: Any) -> None:
        self.journal.record(key, event, scope=self._scopes.get(key), **data)

    async def run(self, item: BatchItem, key: str) -> BatchOutcome:
        scope = _scope_of(item.image, self.engine)
        entry = self.journal.entries.get(key, _Entry())
        resumed = key in self.journal.entries
        if entry.scope not in (None, scope):
            entry, resumed = _Entry(), False
        self._scopes[key] = scope
        if entry.failed is not None:
            self.emit(BatchEvent(key, "skipped"))
            return BatchOutcome(key, "failed", entry.task_id, error=entry.failed, resumed=True)
        if entry.saved and entry.files and all(Path(f).is_file() for f in entry.files):
            self.emit(BatchEvent(key, "skipped"))
            files = tuple(saved_file(Path(f)) for f in entry.files)
            return BatchOutcome(key, "saved", entry.task_id, files, resumed=True)
        try:
            task_id = entry.task_id or await self._submit(item, key, entry)
            task = await self.client.wait(
                task_id, on_progress=lambda t: self.emit(BatchEvent(key, "polled", t)), **self.wait
            )
            saved = await self.client.download(
                task,
                self.directory,
                skip_existing=True,
                on_saved=lambda s: self.emit(BatchEvent(key, "saved", task, s)),
            )
        except KlingError as error:
            return self._failed(key, entry.task_id, error, resumed)
        self._record(key, "saved", task_id=task.id, files=[str(s.path) for s in saved])
        return BatchOutcome(key, "saved", task.id, tuple(saved), resumed=resumed)

    async def _submit(self, item: BatchItem, key: str, entry: _Entry) -> str:
        if entry.external_task_id is not None:
            # The create may have landed before the crash: find it rather than pay again.
            # If the lookup fails the item stays unresolved (an error a rerun resumes).
            try:
                task: Task | None = await self.client.get_by_external_id(entry.external_task_id)
            except NotFoundError:
                task = None
            if task is not None:
                self._record(key, "submitted", task_id=task.id)
                return task.id
        external = entry.external_task_id or item.params.get("external_task_id")
        external = external or self.engine.new_external_id()
        self._record(key, "submitting", external_task_id=external)
        params = {**item.params, "external_task_id": external}
        # An item that was being submitted before may have landed after the lookup:
        # then the service refuses the resend's duplicate id and the task is found.
        task = await self.engine.submit(item.image, params, entry.external_task_id is not None)
        self._record(key, "submitted", task_id=task.id)
        self.emit(BatchEvent(key, "submitted", task))
        return task.id

    def _failed(
        self, key: str, task_id: str | None, error: KlingError, resumed: bool
    ) -> BatchOutcome:
        task_id = self.journal.entries.get(key, _Entry()).task_id or task_id
        if isinstance(error, _FINAL_ERRORS):
            # A task that failed, or a request refused outright, is final: a rerun would
            # fail (or pay) again. Anything else (timeouts, outages) is left to resume.
            self._record(key, "failed", task_id=task_id, error=str(error))
        self.emit(BatchEvent(key, "failed"))
        status: Literal["failed", "error"] = (
            "failed" if isinstance(error, _FINAL_ERRORS) else "error"
        )
        return BatchOutcome(
            key, status, task_id, error=str(error), resumed=resumed, exception=error
        )
