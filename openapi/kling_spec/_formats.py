"""JSON Schema ``format`` assertions for the request check.

JSON Schema 2020-12 treats ``format`` as an annotation unless asked; the spec
says ``callback_url`` is a ``uri`` and the service needs one to call back, so the
check asserts formats. ``uri`` is RFC 3986's ``URI`` (absolute, scheme required,
ASCII only), written out here so the check is this project's and does not
depend on which optional packages a validator happens to find installed.
"""

from __future__ import annotations

import ipaddress
import re

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


# The format checks the request validator runs beside its built-in ones.
FORMAT_CHECKS = {"uri": is_uri}
