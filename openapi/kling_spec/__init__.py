"""The resolved Kling image-expansion spec at run time: constraints, validation, error codes.

The spec is the project's one source of truth: the SDK's local checks and the
mock server's validation both read their limits from :class:`ExpandConstraints`.
This package reads only the packaged resolved spec (or the one ``KLING_RESOLVED_SPEC``
names); producing it (the overlay, the upstream page, spec diffs) is
``kling_spec_tools``' job. A spec whose references are broken is refused with each
named (:func:`broken_references`), never a ``KeyError``.

>>> from kling_spec import ExpandConstraints
>>> ExpandConstraints.from_spec().max_area_factor > 1
True
"""

from importlib.metadata import version as _version

from ._constraints import (
    ExpandConstraints,
    NumberBound,
    as_written,
    request_schema_of,
)
from ._error_codes import ErrorCode, error_codes, gateway_retryable_statuses
from ._errors import SpecError
from ._files import load_resolved_spec, resolved_spec_path
from ._geometry import Canvas, expanded_canvas
from ._images import ImageError, ImageInfo, inspect_image
from ._list_query import ListQuery
from ._paths import CREATE_PATH, TASK_PATH
from ._references import BrokenReference, broken_references, resolve_ref
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

__version__ = _version("kling-expand-toolkit")

__all__ = [
    "CREATE_PATH",
    "INVALID_VALUE",
    "MALFORMED_REQUEST",
    "MAX_NESTING",
    "TASK_PATH",
    "BrokenReference",
    "Canvas",
    "ErrorCode",
    "ExpandConstraints",
    "ImageError",
    "ImageInfo",
    "ListQuery",
    "NumberBound",
    "RequestInvalid",
    "SpecError",
    "Violation",
    "as_written",
    "broken_references",
    "check_expand_request",
    "check_image",
    "decode_image_field",
    "error_codes",
    "expanded_canvas",
    "gateway_retryable_statuses",
    "inspect_image",
    "is_image_url",
    "load_resolved_spec",
    "request_schema_of",
    "resolve_ref",
    "resolved_spec_path",
]
