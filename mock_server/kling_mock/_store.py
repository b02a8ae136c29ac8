"""Tasks and their bounded store: a cap on count and source bytes, and TTL eviction."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

SUBMITTED, PROCESSING, SUCCEED, FAILED = "submitted", "processing", "succeed", "failed"
FINAL_STATUSES = frozenset({SUCCEED, FAILED})


@dataclass(frozen=True)
class SourceImage:
    """What a task expands: decoded bytes, or a synthetic picture seeded by the URL."""

    data: bytes | None
    width: int
    height: int
    synthetic_seed: str = ""

    @property
    def size_bytes(self) -> int:
        return len(self.data) if self.data is not None else 0


@dataclass
class StoredTask:
    """One expansion task. Its status is a function of the clock: see :meth:`status_at`."""

    task_id: str
    account: str
    created_ms: int
    ratios: Mapping[str, float]
    n: int
    source: SourceImage
    base_url: str
    external_task_id: str | None = None
    watermark: bool = False
    callback_url: str | None = None
    #: (time in ms, status) in order; the last one at or before now is the status.
    schedule: tuple[tuple[int, str], ...] = ()
    failure_message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def stored_bytes(self) -> int:
        """What this task holds that a client chose the size of: upload and free-text ids."""
        texts = (self.external_task_id or "", self.callback_url or "")
        return self.source.size_bytes + sum(len(text) for text in texts)

    def status_at(self, now_ms: int) -> tuple[str, int]:
        """The status at ``now_ms`` and when it began."""
        current = self.schedule[0]
        for step in self.schedule[1:]:
            if step[0] > now_ms:
                break
            current = step
        return current[1], current[0]


class TaskStore:
    """Tasks by id, per account, newest last; bounded by count, stored bytes and age.

    The oldest tasks go first when a cap is reached; a task past its TTL is gone
    (it "does not exist", as for another account's task).
    """

    def __init__(self, *, max_tasks: int, max_stored_bytes: int, ttl_ms: int) -> None:
        self._max_tasks = max_tasks
        self._max_bytes = max_stored_bytes
        self._ttl_ms = ttl_ms
        self._tasks: OrderedDict[str, StoredTask] = OrderedDict()
        self._by_account: dict[str, OrderedDict[str, StoredTask]] = {}
        self._by_external: dict[tuple[str, str], StoredTask] = {}
        self._bytes = 0
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def stored_bytes(self) -> int:
        return self._bytes

    @property
    def ttl_ms(self) -> int:
        return self._ttl_ms

    def add(self, task: StoredTask, now_ms: int) -> None:
        with self._lock:
            self.expire(now_ms)
            self._tasks[task.task_id] = task
            self._by_account.setdefault(task.account, OrderedDict())[task.task_id] = task
            if task.external_task_id is not None:
                self._by_external[(task.account, task.external_task_id)] = task
            self._bytes += task.stored_bytes
            while len(self._tasks) > self._max_tasks or (
                self._bytes > self._max_bytes and len(self._tasks) > 1
            ):
                self._drop(next(iter(self._tasks.values())))

    def contains_id(self, task_id: str) -> bool:
        return task_id in self._tasks

    def find(self, task_id: str) -> StoredTask | None:
        """A task by id whatever its account (for result URLs and callbacks)."""
        return self._tasks.get(task_id)

    def get(self, account: str, task_id: str, now_ms: int) -> StoredTask | None:
        with self._lock:
            self.expire(now_ms)
            task = self._tasks.get(task_id)
            return task if task is not None and task.account == account else None

    def by_external_id(self, account: str, external_id: str, now_ms: int) -> StoredTask | None:
        with self._lock:
            self.expire(now_ms)
            return self._by_external.get((account, external_id))

    def newest_first(self, account: str, now_ms: int) -> Iterator[StoredTask]:
        with self._lock:
            self.expire(now_ms)
            tasks = list(self._by_account.get(account, {}).values())
        return reversed(tasks)

    def count(self, account: str) -> int:
        return len(self._by_account.get(account, ()))

    def expire(self, now_ms: int) -> None:
        """Drop every task older than the TTL (tasks are kept in creation order)."""
        with self._lock:
            while self._tasks:
                oldest = next(iter(self._tasks.values()))
                if now_ms - oldest.created_ms < self._ttl_ms:
                    break
                self._drop(oldest)

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()
            self._by_account.clear()
            self._by_external.clear()
            self._bytes = 0

    def _drop(self, task: StoredTask) -> None:
        del self._tasks[task.task_id]
        account = self._by_account[task.account]
        del account[task.task_id]
        if not account:
            del self._by_account[task.account]
        if task.external_task_id is not None:
            self._by_external.pop((task.account, task.external_task_id), None)
        self._bytes -= task.stored_bytes
