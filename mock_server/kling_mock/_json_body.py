"""Hardened JSON request bodies: parsed within bounds a valid create never comes near.

The parser refuses what JSON between systems must not carry (NaN, numbers past float
range, unpaired surrogates, nesting past a depth) and bodies whose comma count alone
shows they would parse into far more objects than a create holds.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

from kling_spec import INVALID_VALUE, ExpandConstraints, Violation, resolve_ref

from ._errors import RequestRefused, malformed

# The longest JSON text one character can take: an astral code point written as two
# \uXXXX escapes (a maxLength counts code points).
_ESCAPED_CHAR_BYTES = len(json.dumps(chr(sys.maxunicode))) - len('""')
# Room in a create body for a string field the spec gives no maxLength (a callback URL,
# an id), and for each field's name, punctuation and any number or small object.
_UNBOUNDED_TEXT_BYTES = 16 * 1024
_FIELD_OVERHEAD_BYTES = 256


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _HugeInt:
    """An integer literal longer than CPython converts (``sys.get_int_max_str_digits``):
    kept as its length, so the field can be refused as a value rather than the body as
    malformed."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _parse_int(text: str) -> int | _HugeInt:
    try:
        return int(text)
    except ValueError:
        return _HugeInt(len(text.lstrip("-")))


def _huge_int(value: Any) -> tuple[str, _HugeInt] | None:
    """Where the first :class:`_HugeInt` in a parsed body is (``n``, ``a.b[2]``), if any."""
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, _HugeInt):
            return path, item
        if isinstance(item, dict):
            pending.extend((f"{path}.{key}" if path else key, child) for key, child in item.items())
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", child) for index, child in enumerate(item))
    return None


# JSON text can smuggle an unpaired surrogate only as a \\uD800-\\uDFFF escape (UTF-8
# bytes cannot encode one), so a body without such an escape needs no string scan.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate escape such as "\\ud800"
        return False
    return True


def _shape(value: Any, *, check_strings: bool = True) -> tuple[int, bool, bool]:
    """How deeply containers nest in a parsed JSON value, whether every number is finite
    (the parser turns ``1e400`` into infinity) and whether every string, keys included, is
    valid Unicode (only looked at with ``check_strings``). Iterative, so no value can
    exhaust the recursion limit."""
    deepest, finite, unicode_ok = 0, True, True
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, str):
            unicode_ok = unicode_ok and _is_unicode(item)
            continue
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item
        if check_strings and isinstance(item, dict):
            pending.extend((key, level) for key in item)
        for child in children:
            kind = type(child)
            if kind is float:
                finite = finite and math.isfinite(child)
            elif kind is dict or kind is list or (check_strings and kind is str):
                pending.append((child, level + 1))
    return deepest, finite, unicode_ok


def _has_more_commas(raw: bytes, limit: int) -> bool:
    """Whether ``raw`` holds more than ``limit`` commas, stopping at the first one past it.

    ``bytes.find`` skips a comma-free stretch (a base64 image) at memchr speed, where
    ``bytes.count`` would walk every byte of every body.
    """
    position = -1
    for _ in range(limit + 1):
        position = raw.find(b",", position + 1)
        if position < 0:
            return False
    return True


def parse_json_body(raw: bytes, max_depth: int = 32, max_commas: int | None = None) -> Any:
    """The body as JSON, refusing NaN/Infinity tokens, numbers beyond float range, strings
    that are not Unicode (unpaired surrogate escapes) and nesting deeper than ``max_depth``
    (which would only exhaust the checks that follow). With ``max_commas``, a body with more
    commas is refused before parsing: with nesting bounded, commas bound how many values
    it holds, and so the memory parsing it takes.

    >>> parse_json_body(b'{"n": 3.0}')
    {'n': 3.0}
    """
    if not raw.strip():
        raise malformed("the request body is empty; expected a JSON object")
    if max_commas is not None and _has_more_commas(raw, max_commas):
        raise malformed(
            f"the request body holds more than this server's max_json_commas {max_commas} "
            "commas; a create request has a few dozen at most"
        )
    try:
        # JSON between systems is UTF-8 (RFC 8259); json.loads would guess UTF-16 or -32.
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise malformed(
            f"the request body is not UTF-8 ({exc.reason} at byte {exc.start}); "
            "send the JSON encoded as UTF-8"
        ) from None
    try:
        body = json.loads(text, parse_constant=_reject_constant)
        parsed_with_huge_ints = False
    except RecursionError:
        raise malformed(
            f"the request body is JSON nested deeper than this server's max_depth {max_depth}"
        ) from None
    except ValueError as exc:
        # Only a failed parse pays for the Python-level integer hook: an integer longer
        # than CPython converts is well-formed JSON, to be refused as its field's value.
        try:
            body = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
        except (ValueError, RecursionError):
            raise malformed(f"the request body is not valid JSON ({exc})") from None
        parsed_with_huge_ints = True
    if not isinstance(body, dict | list):
        return body
    # bytes.find skips a base64 image at memchr speed; the regex alone walks every byte.
    first_escape = raw.find(b"\\u")
    check_strings = first_escape >= 0 and _SURROGATE_ESCAPE.search(raw, first_escape) is not None
    depth, finite, unicode_ok = _shape(body, check_strings=check_strings)
    if depth > max_depth:
        raise malformed(f"the request body nests deeper than this server's max_depth {max_depth}")
    if not finite:
        raise malformed("the request body is not valid JSON (a number does not fit a finite float)")
    if not unicode_ok:
        raise malformed("the request body is not valid JSON (a string holds an unpaired surrogate)")
    found = _huge_int(body) if parsed_with_huge_ints else None
    if found is not None:
        field, value = found
        raise RequestRefused(
            [
                Violation(
                    field,
                    f"{field[:100]}: an integer of {value.digits} digits is out of range "
                    "for this field",
                    INVALID_VALUE,
                )
            ]
        )
    return body


def other_fields_bytes(constraints: ExpandConstraints) -> int:
    """Room in a create body for every field but the image: each string at its longest as
    the spec bounds it (the prompt's max_length, any maxLength) with every character
    escaped, a fixed allowance for strings the spec leaves unbounded, and each field's
    name and punctuation."""
    total = 0
    for name, node in constraints.request_schema.get("properties", {}).items():
        if name == constraints.image_field:
            continue
        schema = resolve_ref(constraints.spec, node)
        longest = (
            constraints.prompt_max_length
            if name == constraints.prompt_field
            else schema.get("maxLength")
        )
        if longest is not None:
            total += _ESCAPED_CHAR_BYTES * int(longest)
        elif schema.get("type") == "string":
            total += _UNBOUNDED_TEXT_BYTES
        total += _FIELD_OVERHEAD_BYTES
    return total
