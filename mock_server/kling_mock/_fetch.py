"""Fetching image URLs, only from allowlisted hosts, within size and time limits.

The mock is never an open proxy: a URL whose host is not on the allowlist is
never requested (the task gets a synthetic source image instead), redirects are
not followed, and a response is read only up to the size limit.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import urllib.parse
from collections.abc import Iterable

import httpx


class FetchFailed(Exception):
    """The allowlisted URL could not be fetched within the limits."""


def host_allowed(url: str, allowlist: Iterable[str]) -> bool:
    """Whether ``url`` is http(s) and its host is on ``allowlist`` (exact, case-insensitive).

    Two parsers must agree before a host counts as allowed: the standard
    library's, which quickly turns away the usual case (a host elsewhere), and
    httpx's, the one the fetch itself will use, so a URL the two read
    differently is never fetched.

    >>> host_allowed("http://127.0.0.1:8000/a.png", ["127.0.0.1"])
    True
    >>> host_allowed("http://127.0.0.1.example.com/a.png", ["127.0.0.1"])
    False
    """
    hosts = _normalized(tuple(allowlist))
    try:
        quick = urllib.parse.urlsplit(url)
        if quick.scheme not in ("http", "https") or (quick.hostname or "") not in hosts:
            return False
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return False
    if parsed.scheme not in ("http", "https") or not parsed.host or parsed.userinfo:
        return False  # user info would be sent as credentials: never forwarded
    return parsed.host.lower() in hosts


MAX_PORT = 65535
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_local_host(host: str) -> bool:
    """Whether ``host`` names this machine whatever it runs: ``localhost`` (and its
    subdomains), a loopback address or the unspecified one (``0.0.0.0``, ``::``).

    >>> [is_local_host(h) for h in ("LOCALHOST", "127.8.9.1", "[::1]", "0.0.0.0", "example.com")]
    [True, True, True, True, False]
    """
    name = host.lower().strip("[]").rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def reaches_self(
    url: str, own_ports: Iterable[int], own_endpoints: Iterable[tuple[str, int]]
) -> bool:
    """Whether ``url`` would reach this server: a local host on one of ``own_ports``, or one
    of ``own_endpoints`` (host, port) such as the host and port of its public base URL.

    >>> reaches_self("http://LocalHost:4010/_mock/reset", {4010}, ())
    True
    >>> reaches_self("http://127.0.0.1:9000/hook", {4010}, ())
    False
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return False
    host = parsed.host.lower().rstrip(".")
    port = parsed.port or _DEFAULT_PORTS.get(parsed.scheme, 0)
    if (host, port) in set(own_endpoints):
        return True
    return port in set(own_ports) and is_local_host(host)


def port_usable(url: str) -> bool:
    """Whether ``url`` names no port or one a socket can reach (1-65535).

    URL syntax allows any digits (``:99999``); the socket layer then raises
    OverflowError, which is no ``httpx.HTTPError``.

    >>> port_usable("http://127.0.0.1:99999/a.png"), port_usable("http://127.0.0.1/a.png")
    (False, True)
    """
    try:
        port = httpx.URL(url).port
    except (httpx.InvalidURL, ValueError, TypeError):
        return False
    return port is None or 0 < port <= MAX_PORT


@functools.lru_cache(maxsize=16)
def _normalized(allowlist: tuple[str, ...]) -> frozenset[str]:
    return frozenset(host.lower().strip("[]") for host in allowlist)


async def fetch_bytes(
    url: str,
    *,
    max_bytes: int,
    timeout_seconds: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> bytes:
    """The body at ``url``, or :class:`FetchFailed` past ``max_bytes`` or the timeout."""
    if not port_usable(url):
        raise FetchFailed(f"the image URL's port is not one of 1-{MAX_PORT}")
    try:
        async with asyncio.timeout(timeout_seconds):
            return await _fetch(url, max_bytes, timeout_seconds, transport)
    except TimeoutError as exc:
        raise FetchFailed(f"the image URL took longer than {timeout_seconds} s") from exc
    except httpx.HTTPError as exc:
        raise FetchFailed(f"the image URL could not be fetched ({type(exc).__name__})") from exc


async def _fetch(
    url: str, max_bytes: int, timeout_seconds: float, transport: httpx.AsyncBaseTransport | None
) -> bytes:
    async with (
        httpx.AsyncClient(
            transport=transport, timeout=timeout_seconds, follow_redirects=False
        ) as client,
        client.stream("GET", url) as response,
    ):
        if response.status_code != 200:
            raise FetchFailed(f"the image URL answered HTTP {response.status_code}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchFailed(f"the image at the URL is over max_bytes {max_bytes}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise FetchFailed(f"the image at the URL is over max_bytes {max_bytes}")
            chunks.append(chunk)
        return b"".join(chunks)
