"""JSON Schema ``format`` assertions the shared request check leaves out (it treats them as
annotations), so that a ``callback_url`` that is no URI is refused as the spec says.

``uri`` is RFC 3986's ``URI`` (absolute, scheme required, ASCII only): jsonschema ships
no checker for it without an optional dependency.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

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


def format_violations(body: Any, constraints: ExpandConstraints) -> Iterator[Violation]:
    """The request's ``format`` errors against the spec's own (compiled) request schema."""
    validator: Draft202012Validator = constraints.request_validator
    asserting = validator.evolve(format_checker=format_checker())
    for error in asserting.iter_errors(body):
        if error.validator == "format":
            path = ".".join(str(part) for part in error.absolute_path)
            yield Violation(path, f"{path}: {error.message}")
