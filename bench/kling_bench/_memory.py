"""The mock's memory: resident size after many created tasks, and after more evict them.

Tasks are created over HTTP by a bounded number of concurrent senders, bounded
in count and in time. "After eviction" is measured by creating a second batch
of the same size: a mock with a bounded task store must evict the first batch
to take it, which the harness checks by asking for the first task again.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    """The mock's resident memory at start, after ``tasks`` creates, and after as many more."""

    tasks: int
    rss_start_bytes: int
    rss_after_tasks_bytes: int
    rss_after_second_batch_bytes: int
    first_batch: Batch
    second_batch: Batch
    first_task_evicted: bool | None

    def to_json(self) -> dict[str, Any]:
        mib = {
            "rss_start_mib": self.rss_start_bytes / MIB,
            "rss_after_tasks_mib": self.rss_after_tasks_bytes / MIB,
            "rss_after_second_batch_mib": self.rss_after_second_batch_bytes / MIB,
        }
        return asdict(self) | {name: round(value, 1) for name, value in mib.items()}


def measure_memory(
    live: LiveServer, headers: Mapping[str, str], body: bytes, *, tasks: int, deadline_s: float
) -> MemoryFigures:
    """Fill a freshly started mock with ``tasks`` tasks, then as many again."""
    request = build_request(
        "POST",
        CREATE_PATH,
        host=live.host,
        port=live.port,
        headers={**headers, "Content-Type": "application/json"},
        body=body,
    )
    rss_start = process_group_rss_bytes(live.pid)
    first = create_batch(live.host, live.port, request, count=tasks, deadline_s=deadline_s)
    rss_after = process_group_rss_bytes(live.pid)
    second = create_batch(live.host, live.port, request, count=tasks, deadline_s=deadline_s)
    rss_second = process_group_rss_bytes(live.pid)
    evicted: bool | None = None
    if first.first_task_id is not None:
        with httpx.Client(base_url=live.base_url, headers=dict(headers)) as client:
            evicted = client.get(task_path(first.first_task_id)).status_code == 404
    return MemoryFigures(tasks, rss_start, rss_after, rss_second, first, second, evicted)
