"""What the shared request check leaves out: JSON Schema ``format`` assertions (it treats
``format`` as an annotation), so that a ``callback_url`` that is no URI is refused as the
spec says; and, optionally, refusing fields the spec does not name.

``uri`` is RFC 3986's ``URI`` (absolute, scheme required, ASCII only): jsonschema ships
no checker for it without an optional dependency.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import FormatChecker

from kling_spec import ExpandConstraints, Violation

_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_SEGMENT = rf"{_PCHAR}*"
_SEGMENT_NZ = rf"{_PCHAR}+"
_USERINFO = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*"
_REG_NAME = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*"
_IP_LITERAL = r"\[(?P<ip>[^\]]*)\]"
_AUTHORITY = rf"(?:{_USERINFO}@)?(?:{_IP_LITERAL}|{_REG_NAME})(?::[0-9]*)?"
_HIER_PART = (
    rf"(?://{_AUTHORITY}(?:/{_SEGMENT})*"
    rf"|/(?:{_SEGMENT_NZ}(?:/{_SEGMENT})*)?"
    rf"|{_SEGMENT_NZ}(?:/{_SEGMENT})*"
    r"|)"
)
_QUERY = rf"(?:{_PCHAR}|[/?])*"
_URI = re.compile(rf"[A-Za-z][A-Za-z0-9+\-.]*:{_HIER_PART}(?:\?{_QUERY})?(?:#{_QUERY})?")
_IP_FUTURE = re.compile(rf"v[0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+")


def is_uri(value: object) -> bool:
    """Whether ``value`` is an RFC 3986 URI (non-strings pass: ``type`` judges those).

    >>> [is_uri(v) for v in ["https://h.example/a?b#c", "urn:x:y", "", "no scheme", "a:%zz"]]
    [True, True, False, False, False]
    """
    if not isinstance(value, str):
        return True
    match = _URI.fullmatch(value)
    if match is None:
        return False
    literal = match.group("ip")
    if literal is None:
        return True
    if _IP_FUTURE.fullmatch(literal):
        return True
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return "%" not in literal  # a zone id is not RFC 3986


def format_checker() -> FormatChecker:
    """jsonschema's format checks plus ``uri``."""
    checker = FormatChecker()
    checker.checks("uri")(is_uri)
    return checker


class FormatAssertions:
    """Asserts the ``format`` of each top-level request property that declares one in the spec,
    and (when asked) that every property is one the spec names.

    >>> from kling_spec import ExpandConstraints
    >>> check = FormatAssertions(ExpandConstraints.from_spec())
    >>> [v.field for v in check({"callback_url": "not a uri"})]
    ['callback_url']
    """

    def __init__(self, constraints: ExpandConstraints, *, reject_unknown: bool = False) -> None:
        properties = constraints.request_schema.get("properties", {})
        self._known = frozenset(properties) if reject_unknown else None
        self._checker = format_checker()
        self._formats = [
            (str(name), str(schema["format"]))
            for name, schema in properties.items()
            if isinstance(schema, dict) and "format" in schema
        ]

    def __call__(self, body: Mapping[str, Any]) -> list[Violation]:
        found: list[Violation] = []
        if self._known is not None:
            known = ", ".join(sorted(self._known))
            found.extend(
                Violation(name, f"{name} is not a field of the request (properties: {known})")
                for name in body
                if name not in self._known
            )
        for name, fmt in self._formats:
            if name in body and not self._checker.conforms(body[name], fmt):
                found.append(Violation(name, f"{name}: {body[name]!r} is not a {fmt!r}"))
        return found
