"""The hand-written SDK for Kling image expansion: submit, wait, retry safely, download.

Built on the generated client (``kling_expand_api``) and the resolved spec's
constraints (``kling_spec``): every limit checked here is read from the spec.

>>> from kling_expand import KlingExpand, Ratios, ratios_for_aspect
>>> ratios_for_aspect((1024, 768), "16:9", fill="min")
Ratios(up=0.0, down=0.0, left=0.1666, right=0.1666)

Typical use, against the real service (``COMETAPI_KEY`` set)::

    with KlingExpand() as client:
        result = client.expand("beach.jpg", aspect="16:9", prompt="more sand and sea")
        for saved in result.save("out/"):
            print(saved.path)
"""

import typing as _typing

from ._batch import BatchEvent, BatchItem, BatchOptions, BatchOutcome, Journal
from ._client import (
    AsyncExpandResult,
    AsyncKlingExpand,
    ClientConfig,
    ExpandAndWaitParams,
    ExpandParams,
    ExpandResult,
    KlingExpand,
    RequestOptions,
    SaveOptions,
    WaitParams,
)
from ._exceptions import (
    KLING_ERROR_CODES,
    RETRYABLE_STATUSES,
    AccountError,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    DownloadError,
    InputValidationError,
    InvalidRequestError,
    KlingCode,
    KlingError,
    NotFoundError,
    PolicyError,
    RateLimitError,
    ServerError,
    TaskFailedError,
    WaitTimeoutError,
    WebhookVerificationError,
    make_status_error,
)
from ._images import ImageInput, PreparedImage, prepare_image
from ._models import ResultImage, SavedImage, Task
from ._ratios import Anchor, Ratios, canvas_geometry, ratios_for_aspect, ratios_for_canvas
from ._retry import Clock, PollPolicy, RetryPolicy, SystemClock
from ._sheet import compose_before_after
from ._version import installed_version as _installed_version
from ._webhooks import parse_callback, sign_callback, verify_callback

__all__ = [
    "KLING_ERROR_CODES",
    "RETRYABLE_STATUSES",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AccountError",
    "Anchor",
    "AsyncExpandResult",
    "AsyncKlingExpand",
    "AuthenticationError",
    "BatchEvent",
    "BatchItem",
    "BatchOptions",
    "BatchOutcome",
    "ClientConfig",
    "Clock",
    "ConfigurationError",
    "DownloadError",
    "ExpandAndWaitParams",
    "ExpandParams",
    "ExpandResult",
    "ImageInput",
    "InputValidationError",
    "InvalidRequestError",
    "Journal",
    "KlingCode",
    "KlingError",
    "KlingExpand",
    "NotFoundError",
    "PolicyError",
    "PollPolicy",
    "PreparedImage",
    "RateLimitError",
    "Ratios",
    "RequestOptions",
    "ResultImage",
    "RetryPolicy",
    "SaveOptions",
    "SavedImage",
    "ServerError",
    "SystemClock",
    "Task",
    "TaskFailedError",
    "TaskStatus",
    "WaitParams",
    "WaitTimeoutError",
    "WebhookVerificationError",
    "canvas_geometry",
    "compose_before_after",
    "make_status_error",
    "parse_callback",
    "prepare_image",
    "ratios_for_aspect",
    "ratios_for_canvas",
    "sign_callback",
    "verify_callback",
]


if _typing.TYPE_CHECKING:
    from kling_expand_api.models import TaskStatus


def __getattr__(name: str) -> object:
    """``__version__``, read from the installed distribution on first use, and
    ``TaskStatus``, the generated enum, imported when first asked for."""
    if name == "__version__":
        return _installed_version()
    if name == "TaskStatus":
        from kling_expand_api.models import TaskStatus

        globals()[name] = TaskStatus  # defined from now on, like any other name
        return TaskStatus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
