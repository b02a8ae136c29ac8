"""The resolved Kling image-expansion spec, and the tooling that produces it.

The spec is the project's one source of truth: the SDK's local checks and the
mock server's validation both read their limits from :class:`ExpandConstraints`.

>>> from kling_spec import ExpandConstraints
>>> ExpandConstraints.from_spec().max_area_factor > 1
True
"""

from ._constraints import (
    CREATE_PATH,
    TASK_PATH,
    ExpandConstraints,
    NumberBound,
    as_written,
    request_schema_of,
    resolve_ref,
)
from ._diff import SpecChange, diff_specs
from ._error_codes import ErrorCode, error_codes, gateway_retryable_statuses
from ._errors import SpecError
from ._files import load_resolved_spec
from ._geometry import Canvas, expanded_canvas
from ._images import ImageError, ImageInfo, inspect_image
from ._list_query import ListQuery
from ._overlay import apply_overlay, hoist_components
from ._page import extract_spec_text
from ._validation import (
    INVALID_VALUE,
    MALFORMED_REQUEST,
    MAX_NESTING,
    RequestInvalid,
    Violation,
    check_expand_request,
    check_image,
    decode_image_field,
    is_image_url,
)

__all__ = [
    "CREATE_PATH",
    "INVALID_VALUE",
    "MALFORMED_REQUEST",
    "MAX_NESTING",
    "TASK_PATH",
    "Canvas",
    "ErrorCode",
    "ExpandConstraints",
    "ImageError",
    "ImageInfo",
    "ListQuery",
    "NumberBound",
    "RequestInvalid",
    "SpecChange",
    "SpecError",
    "Violation",
    "apply_overlay",
    "as_written",
    "check_expand_request",
    "check_image",
    "decode_image_field",
    "diff_specs",
    "error_codes",
    "expanded_canvas",
    "extract_spec_text",
    "gateway_retryable_statuses",
    "hoist_components",
    "inspect_image",
    "is_image_url",
    "load_resolved_spec",
    "request_schema_of",
    "resolve_ref",
]
