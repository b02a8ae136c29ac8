"""Type-checked and run against datamodel-code-generator's models."""

from kling_models import ExpandImageRequest, TaskRecord, TaskStatus

known = TaskRecord.model_validate(
    {"task_id": "t", "task_status": "succeed", "created_at": 1, "updated_at": 2}
)
# A StrEnum member equals its value, so comparisons read naturally; pydantic's
# smart union keeps the str, so TaskStatus(...) gives the member where one is needed.
assert known.task_status == TaskStatus.succeed, known.task_status
assert TaskStatus(known.task_status) is TaskStatus.succeed
unknown = TaskRecord.model_validate(
    {"task_id": "t", "task_status": "queued", "created_at": 1, "updated_at": 2}
)
assert unknown.task_status == "queued", unknown.task_status
request = ExpandImageRequest(
    image="https://example.com/a.png",
    up_expansion_ratio=0.1,
    down_expansion_ratio=0.1,
    left_expansion_ratio=0.1,
    right_expansion_ratio=0.1,
)
assert request.n == 1
