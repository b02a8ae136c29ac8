"""Contains all the data models used in inputs/outputs"""

from .balance_deduction import BalanceDeduction
from .error_envelope import ErrorEnvelope
from .expand_image_request import ExpandImageRequest
from .gateway_error import GatewayError
from .gateway_error_detail import GatewayErrorDetail
from .task_envelope import TaskEnvelope
from .task_image import TaskImage
from .task_info import TaskInfo
from .task_list_envelope import TaskListEnvelope
from .task_record import TaskRecord
from .task_result import TaskResult
from .task_status import TaskStatus
from .watermark_info import WatermarkInfo

__all__ = (
    "BalanceDeduction",
    "ErrorEnvelope",
    "ExpandImageRequest",
    "GatewayError",
    "GatewayErrorDetail",
    "TaskEnvelope",
    "TaskImage",
    "TaskInfo",
    "TaskListEnvelope",
    "TaskRecord",
    "TaskResult",
    "TaskStatus",
    "WatermarkInfo",
)
