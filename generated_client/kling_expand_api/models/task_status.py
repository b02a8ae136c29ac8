from enum import StrEnum


class TaskStatus(StrEnum):
    FAILED = "failed"
    PROCESSING = "processing"
    SUBMITTED = "submitted"
    SUCCEED = "succeed"

    def __str__(self) -> str:
        return str(self.value)
