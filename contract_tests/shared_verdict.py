"""The shared validation module's verdict on a whole request, image content included.

This is what the SDK and the mock server are meant to run: decode the
``image`` field, read the image's header, then check the body against the spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kling_spec import (
    ExpandConstraints,
    ImageError,
    RequestInvalid,
    Violation,
    check_expand_request,
    decode_image_field,
    inspect_image,
)


def shared_violations(body: Any, constraints: ExpandConstraints) -> list[Violation]:
    """Every reason ``kling_spec`` gives for refusing ``body`` (empty: it accepts it)."""
    field = constraints.image_field
    value = body.get(field) if isinstance(body, Mapping) else None
    image, refused = None, []
    if isinstance(value, str):
        try:
            data = decode_image_field(value, constraints)
            image = None if data is None else inspect_image(data)
        except RequestInvalid as exc:
            refused = list(exc.violations)
        except ImageError as exc:
            refused = [Violation(field, f"{field}: {exc}")]
    found = check_expand_request(body, constraints, image=image)
    schema_clean = all(v.field in {field, "expansion"} for v in found)
    return found + refused if schema_clean else found
