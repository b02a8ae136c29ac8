"""Check a create request against the spec: its JSON Schema, then its ``x-kling-constraints``.

One piece of code gives the verdict everywhere: the SDK checks before a paid
request with it and the mock server refuses bad requests with it, each built
from the spec it is given, so a bound changed in the spec moves both.

>>> c = ExpandConstraints.from_spec()
>>> body = {name: 0 for name in c.ratio_fields} | {"image": "https://example.com/a.png"}
>>> check_expand_request(body, c)
[]
>>> [v.field for v in check_expand_request({**body, "n": 0}, c)]
['n']
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from ._constraints import ExpandConstraints
from ._images import ImageInfo

MALFORMED_REQUEST = 1200
INVALID_VALUE = 1201
# Beyond this nesting a body is refused before the schema walks it (which recurses);
# the request schema itself nests two levels.
MAX_NESTING = 64
_URL_PREFIXES = ("http://", "https://")


@dataclass(frozen=True)
class Violation:
    """One reason a request is refused: the field, a sentence naming the limit, Kling's code."""

    field: str
    message: str
    code: int = INVALID_VALUE


class RequestInvalid(ValueError):
    """A request the service would refuse; ``violations`` says every reason."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__("; ".join(v.message for v in self.violations))


def is_image_url(value: str) -> bool:
    """Whether the ``image`` field holds a URL (the service fetches it) rather than base64.

    Schemes are case-insensitive (RFC 3986, 3.1), so ``HTTP://`` counts too.

    >>> is_image_url("HTTPS://example.com/a.png"), is_image_url("aGVsbG8=")
    (True, False)
    """
    return value[:8].lower().startswith(_URL_PREFIXES)


def decode_image_field(value: str, constraints: ExpandConstraints) -> bytes | None:
    """The image bytes of a base64 ``image`` field, or None when it is an http(s) URL.

    The encoded length is checked before anything is decoded, so an oversized
    upload costs no memory beyond the text already received.
    """
    field = constraints.image_field
    if is_image_url(value):
        return None
    if value[:5].lower() == "data:":
        raise RequestInvalid(
            [Violation(field, f"{field} must be raw base64 without a 'data:' prefix")]
        )
    max_encoded = 4 * -(-constraints.image_max_bytes // 3)
    if len(value) > max_encoded:
        raise RequestInvalid([_too_large(constraints, len(value) * 3 // 4)])
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise RequestInvalid(
            [Violation(field, f"{field} must be an http(s) URL or valid base64")]
        ) from None
    if not data:
        raise RequestInvalid([Violation(field, f"{field} is empty")])
    if len(data) > constraints.image_max_bytes:
        raise RequestInvalid([_too_large(constraints, len(data))])
    return data


def _too_large(constraints: ExpandConstraints, size: int) -> Violation:
    field = constraints.image_field
    return Violation(
        field, f"{field} is {size} bytes; the maximum (max_bytes) is {constraints.image_max_bytes}"
    )


def check_image(
    info: ImageInfo, constraints: ExpandConstraints, *, max_pixels: int | None = None
) -> list[Violation]:
    """Format, byte size, minimum side and aspect of an image, against the spec's limits.

    ``max_pixels`` is a caller's own decoding limit (the spec sets none).
    """
    field = constraints.image_field
    if info.format not in constraints.image_formats:
        allowed = ", ".join(constraints.image_formats)
        return [Violation(field, f"{field} format {info.format} is not one of formats: {allowed}")]
    found: list[Violation] = []
    if info.size_bytes > constraints.image_max_bytes:
        found.append(_too_large(constraints, info.size_bytes))
    size = f"{info.width}x{info.height} px"
    if min(info.width, info.height) < constraints.image_min_side:
        found.append(
            Violation(
                field,
                f"{field} is {size}; each side must be at least "
                f"min_side_px {constraints.image_min_side}",
            )
        )
    if not constraints.aspect_ok(info.width, info.height):
        found.append(
            Violation(
                field,
                f"{field} is {size}; its aspect_ratio must be between "
                f"{constraints.aspect_min_text} and {constraints.aspect_max_text}",
            )
        )
    if max_pixels is not None and info.width * info.height > max_pixels:
        found.append(Violation(field, f"{field} is {size}; over this server's {max_pixels} pixels"))
    return found


def check_expand_request(
    body: Any,
    constraints: ExpandConstraints,
    *,
    image: ImageInfo | None = None,
    parsed_json: bool = False,
) -> list[Violation]:
    """Every reason the service would refuse ``body`` (empty when it would accept it).

    The image's content is checked only when ``image`` is given: a URL's image is
    whatever the fetcher finds there. ``parsed_json`` says ``body`` came from a JSON
    parser whose caller already refused non-finite numbers and nesting deeper than
    :data:`MAX_NESTING` (as a server does), so the walk looking for values JSON has
    no form for is skipped; Python callers leave it false.
    """
    if not isinstance(body, Mapping):
        return [Violation("", "the request body must be a JSON object", MALFORMED_REQUEST)]
    unfit = None if parsed_json else _not_json(body)
    if unfit is not None:
        return [unfit]
    schema = constraints.request_schema_inlined
    errors = constraints.request_validator.iter_errors(dict(body))
    # dict.fromkeys drops repeats, should two keywords name the same problem.
    found = list(dict.fromkeys(_schema_violation(error, schema) for error in errors))
    found.sort(key=lambda v: v.field)
    if not found:
        if not constraints.area_ok(body):
            factor = constraints.area_factor_of(body)
            found.append(
                Violation(
                    "expansion",
                    f"(1 + {' + '.join(constraints.vertical_fields)}) * "
                    f"(1 + {' + '.join(constraints.horizontal_fields)}) is {float(factor):.6g}; "
                    f"the max_area_factor is {constraints.max_area_factor:g}",
                )
            )
        if image is not None:
            found.extend(check_image(image, constraints))
    return found


def _not_json(body: Mapping[str, Any]) -> Violation | None:
    """Why ``body`` is no JSON value the schema can judge, if it is not: nesting deeper than
    :data:`MAX_NESTING`, a value JSON has no form for (bytes, a set, ...), a number that is
    not finite. Iterative, so no value can exhaust the recursion limit."""
    pending: list[tuple[Any, str, int]] = [(body, "", 1)]
    while pending:
        container, path, level = pending.pop()
        if level > MAX_NESTING:
            return Violation(
                "", f"the request body nests deeper than {MAX_NESTING}", MALFORMED_REQUEST
            )
        is_object = type(container) is dict or isinstance(container, Mapping)
        pairs = container.items() if is_object else enumerate(container)
        for key, child in pairs:
            if is_object and type(key) is not str:
                name = f"{path}.{key}" if path else str(key)
                return Violation(name, f"{name}: a JSON object key must be a string")
            kind = type(child)
            if kind is str or kind is int or kind is bool or child is None:
                continue
            name = f"{path}.{key}" if path else str(key)
            if kind is dict or kind is list or isinstance(child, Mapping | list | tuple):
                pending.append((child, name, level + 1))
            elif not isinstance(child, str | int | float):  # None and bool passed above
                return Violation(name, f"{name} is a {kind.__name__}, which JSON cannot carry")
            elif isinstance(child, float) and not math.isfinite(child):
                return Violation(name, f"{name} is {child}; a JSON number must be finite")
    return None


# How a limit keyword's breach is put into words: what the value is, given the value.
_LIMIT_WORDS: dict[str, str] = {
    "maximum": "is {value}",
    "minimum": "is {value}",
    "exclusiveMaximum": "is {value}",
    "exclusiveMinimum": "is {value}",
    "maxLength": "is {length} characters long",
    "minLength": "is {length} characters long",
}


def _schema_violation(error: jsonschema_rs.ValidationError, schema: Any) -> Violation:
    """One schema error as a Violation naming the field and, for a limit, the limit itself."""
    keyword = error.kind.name
    path = ".".join(str(part) for part in error.instance_path)
    if keyword == "required":
        missing = str(error.kind.as_dict()["property"])
        name = ".".join(filter(None, [path, missing]))
        return Violation(name, f"{name} is required")
    name = path or "body"
    if keyword in _LIMIT_WORDS:
        limit: Any = schema
        for part in error.schema_path:  # the limit as the spec writes it
            limit = limit[part]
        instance = error.instance
        length = len(instance) if isinstance(instance, str) else 0
        what = _LIMIT_WORDS[keyword].format(value=instance, length=length)
        return Violation(path, f"{name} {what}; the {keyword} is {limit}")
    if keyword == "format":
        return Violation(path, f"{name} is not a valid {error.kind.as_dict()['format']}")
    # Other messages quote the value: keep a huge one from flooding the answer.
    message = error.message if len(error.message) <= 300 else error.message[:300] + "..."
    return Violation(path, f"{name}: {message}")
