"""The mock's memory: resident size after many created tasks, and after they are evicted.

A fresh mock, with room for every task and a frozen clock, is sent ``tasks``
creates over keep-alive HTTP (bounded in count and in time); its resident
memory (the whole process group, from /proc) is read before and after. Then
the harness moves the mock's clock past the task TTL through its admin API,
checks that the first task is gone, and reads the memory again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from kling_spec import CREATE_PATH

from ._creator import Batch, build_request, create_batch
from ._report import MIB
from ._requests import task_path
from ._servers import LiveServer, process_group_rss_bytes


@dataclass(frozen=True)
class MemoryFigures:
    """The mock's resident memory at start, after ``tasks`` creates, and after eviction."""

    tasks: int
    rss_start_bytes: int
    rss_after_tasks_bytes: int
    rss_after_eviction_bytes: int | None
    batch: Batch
    first_task_evicted: bool | None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        mib = {
            "rss_start_mib": self.rss_start_bytes,
            "rss_after_tasks_mib": self.rss_after_tasks_bytes,
            "rss_after_eviction_mib": self.rss_after_eviction_bytes,
        }
        return asdict(self) | {
            name: None if value is None else round(value / MIB, 1) for name, value in mib.items()
        }


def measure_memory(
    live: LiveServer,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tasks: int,
    deadline_s: float,
    evict: Callable[[httpx.Client], None],
) -> MemoryFigures:
    """Fill a freshly started mock with ``tasks`` tasks, then evict them with ``evict``."""
    request = build_request(
        "POST",
        CREATE_PATH,
        host=live.host,
        port=live.port,
        headers={**headers, "Content-Type": "application/json"},
        body=body,
    )
    rss_start = process_group_rss_bytes(live.pid)
    batch = create_batch(live.host, live.port, request, count=tasks, deadline_s=deadline_s)
    rss_after = process_group_rss_bytes(live.pid)
    failures = (
        f"{batch.failed} creates failed, first: {batch.first_failure}" if batch.failed else ""
    )
    with httpx.Client(base_url=live.base_url, headers=dict(headers), timeout=60) as client:
        try:
            evict(client)
        except (RuntimeError, httpx.HTTPError) as exc:
            note = " ".join(filter(None, [failures, f"tasks were not evicted: {exc}"]))
            return MemoryFigures(tasks, rss_start, rss_after, None, batch, None, note)
        evicted = None
        if batch.first_task_id is not None:
            # Reading the store is what lets the mock drop expired tasks.
            evicted = client.get(task_path(batch.first_task_id)).status_code == 404
    rss_evicted = process_group_rss_bytes(live.pid)
    return MemoryFigures(tasks, rss_start, rss_after, rss_evicted, batch, evicted, failures)
