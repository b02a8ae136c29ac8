"""What the SDK hands back: a task, its result images, and images saved to disk.

A :class:`Task` is built from the generated client's ``TaskRecord`` (kept as
``.record`` for anything this view leaves out), with times as datetimes and
the result images as a tuple, empty while the task runs.

>>> from kling_expand_api.models import TaskRecord
>>> record = TaskRecord.from_dict({"task_id": "t1", "task_status": "processing",
...     "created_at": 0, "updated_at": 0, "task_result": {}})
>>> task = Task.from_record(record)
>>> task.id, task.done, task.images
('t1', False, ())
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kling_expand_api.models import TaskRecord, TaskResult, TaskStatus
    from kling_expand_api.types import Unset

# The generated models are imported where a record is read: a Task exists only
# once one was, so its methods find them loaded.


@dataclass(frozen=True)
class ResultImage:
    """One expanded image of a finished task (URLs expire 30 days after it finished)."""

    index: int
    url: str
    watermark_url: str | None = None


@dataclass(frozen=True)
class SavedImage:
    """An expanded image written to disk."""

    index: int
    path: Path
    content_type: str
    size_bytes: int


def _millis(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)


def _images_of(result: TaskResult | None | Unset) -> tuple[ResultImage, ...]:
    from kling_expand_api.models import TaskResult
    from kling_expand_api.types import Unset

    if not isinstance(result, TaskResult) or isinstance(result.images, Unset):
        return ()
    images = (
        ResultImage(
            index=image.index,
            url=image.url,
            watermark_url=None if isinstance(image.watermark_url, Unset) else image.watermark_url,
        )
        for image in result.images
    )
    return tuple(sorted(images, key=lambda image: image.index))


@dataclass(frozen=True)
class Task:
    """An image-expansion task as the service last reported it.

    ``status`` is a :class:`TaskStatus` for the documented values and the plain
    string for any status the spec does not know yet; such a task counts as
    still running.
    """

    id: str
    status: TaskStatus | str
    status_message: str
    external_task_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    images: tuple[ResultImage, ...]
    record: TaskRecord = field(repr=False, compare=False)
    request_id: str | None = field(default=None, compare=False)

    @classmethod
    def from_record(cls, record: TaskRecord, *, request_id: str | None = None) -> Task:
        """The SDK's view of a generated ``TaskRecord``."""
        from kling_expand_api.types import Unset

        external = None
        if not isinstance(record.task_info, Unset):
            value = record.task_info.external_task_id
            if isinstance(value, str) and value:
                external = value
        message = record.task_status_msg
        return cls(
            id=record.task_id,
            status=record.task_status,
            status_message=message if isinstance(message, str) else "",
            external_task_id=external,
            created_at=_millis(record.created_at),
            updated_at=_millis(record.updated_at),
            images=_images_of(record.task_result),
            record=record,
            request_id=request_id,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, request_id: str | None = None) -> Task:
        """Parse a task record as JSON-decoded (a callback body, a journal line)."""
        from kling_expand_api.models import TaskRecord

        return cls.from_record(TaskRecord.from_dict(data), request_id=request_id)

    @property
    def status_text(self) -> str:
        """The status as the wire spells it."""
        return str(self.status)

    @property
    def done(self) -> bool:
        """Whether the task reached a final status (``succeed`` or ``failed``)."""
        return self.succeeded or self.failed

    @property
    def succeeded(self) -> bool:
        from kling_expand_api.models import TaskStatus

        return self.status == TaskStatus.SUCCEED

    @property
    def failed(self) -> bool:
        from kling_expand_api.models import TaskStatus

        return self.status == TaskStatus.FAILED
