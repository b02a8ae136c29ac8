"""A downstream module using the SDK and the generated models: `mypy --strict` must pass."""

from pathlib import Path

from kling_expand import KlingExpand
from kling_expand_api.models import ExpandImageRequest, TaskRecord, TaskStatus


def expand_to(client: KlingExpand, image: Path, out: Path) -> list[Path]:
    result = client.expand(image, aspect="16:9", prompt="more sea", timeout=60.0)
    return [saved.path for saved in result.save(out)]


def submitted_id(client: KlingExpand, image: Path) -> str:
    task = client.submit(image, up=0.25, down=0.25, left=0, right=0)
    task_id: str = task.id
    return task_id


def finished(record: TaskRecord) -> bool:
    return record.task_status == TaskStatus.SUCCEED


def request_for(url: str) -> dict[str, object]:
    request = ExpandImageRequest(
        image=url,
        up_expansion_ratio=0.1,
        down_expansion_ratio=0.1,
        left_expansion_ratio=0.0,
        right_expansion_ratio=0.0,
    )
    return dict(request.to_dict())
