"""What each client sent: a bounded journal of API requests, bearer keys redacted."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

_SECRET_HEADERS = frozenset({"authorization", "cookie", "x-api-key"})
#: how much of a body that is not JSON, or of a query string, an entry shows.
RAW_BODY_PREFIX = 4096
_LONG_TEXT = 200
_MAX_DEPTH = 8


@dataclass(frozen=True)
class JournalEntry:
    """One request as the mock received it, and how it answered."""

    seq: int
    time_ms: int
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: Any
    status: int | None  # None: the client went away before it was answered
    code: int | str | None
    account: str | None
    scenario: str | None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with credentials replaced: a bearer key shows only its last 4 characters.

    >>> redact_headers({"Authorization": "Bearer sk-123456789"})
    {'authorization': 'Bearer ***6789'}
    """
    redacted: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _SECRET_HEADERS:
            scheme, _, secret = value.partition(" ")
            shown = secret[-4:] if len(secret) >= 12 else ""
            value = f"{scheme} ***{shown}" if secret else "***"
        redacted[lowered] = value if len(value) <= _LONG_TEXT else value[:_LONG_TEXT] + "..."
    return redacted


def summarize_body(value: Any, depth: int = 0) -> Any:
    """A JSON body with long strings (base64 images) cut short and deep nesting elided,
    so the journal stays small.

    >>> summarize_body({"image": "A" * 1000, "n": 2})
    {'image': 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA... (1000 chars)', 'n': 2}
    >>> summarize_body([[[[[[[[[[1]]]]]]]]]])
    [[[[[[[[['...']]]]]]]]]
    """
    if isinstance(value, str) and len(value) > _LONG_TEXT:
        return f"{value[:40]}... ({len(value)} chars)"
    if isinstance(value, Mapping | list) and depth >= _MAX_DEPTH:
        return ["..."]
    if isinstance(value, Mapping):
        return {str(k): _summarize_item(v, depth) for k, v in list(value.items())[:50]}
    if isinstance(value, list):
        return [_summarize_item(item, depth) for item in value[:50]]
    return value


def _summarize_item(value: Any, depth: int) -> Any:
    kind = type(value)
    if kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is str and len(value) <= _LONG_TEXT:
        return value
    return summarize_body(value, depth + 1)


class _Request(NamedTuple):
    """One request as the server saw it, before it is decoded and redacted."""

    seq: int
    time_ms: int
    method: str
    path: str
    query: bytes
    headers: Iterable[tuple[bytes, bytes]]  # as ASGI gives them
    body: Any
    raw_body: bytes | None  # the first bytes of a body that was not parsed
    status: int | None
    code: int | str | None
    account: str | None
    scenario: str | None
    error: str | None = None

    def entry(self) -> JournalEntry:
        """This request as a :class:`JournalEntry`: headers decoded and redacted."""
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in self.headers}
        body = self.body
        if body is None and self.raw_body:
            body = {"raw": self.raw_body.decode("utf-8", "replace")}
        return JournalEntry(
            seq=self.seq,
            time_ms=self.time_ms,
            method=self.method,
            path=self.path,
            query=self.query[:RAW_BODY_PREFIX].decode("latin-1"),
            headers=redact_headers(headers),
            body=body,
            status=self.status,
            code=self.code,
            account=self.account,
            scenario=self.scenario,
            error=self.error,
        )


class RequestJournal:
    """The most recent requests, oldest first, within ``max_entries`` and ``max_bytes``.

    A request is kept as the server saw it (the ASGI header list, the body's
    summary or its first bytes) and turned into a redacted :class:`JournalEntry`
    only when read: recording stays a tuple append on every request, and no
    entry that is never read costs a header decode. What is kept is cut when
    recorded: at most ``max_headers`` headers, each name and value at most
    ``header_bytes``, and none at all for a request no key vouched for (a summary:
    method, path, status), so 40 requests with 8 MB headers cost kilobytes.

    >>> journal = RequestJournal(10, max_bytes=1 << 20, max_headers=2, header_bytes=4)
    >>> journal.record(time_ms=0, method="GET", path="/", query=b"", body=None,
    ...     headers=[(b"x-long", b"12345678"), (b"a", b"b"), (b"c", b"d")], raw_body=None,
    ...     status=200, code=0, account="dev", scenario=None)
    >>> journal.entries()[0].headers
    {'x-lo': '1234', 'a': 'b'}
    """

    # What an entry costs beyond the bytes it holds: the tuple, its summary body.
    _ENTRY_OVERHEAD_BYTES = 2048

    def __init__(
        self,
        max_entries: int,
        *,
        max_bytes: int = 8 * 1024 * 1024,
        max_headers: int = 64,
        header_bytes: int = 256,
    ) -> None:
        self._entries: deque[tuple[_Request, int]] = deque()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._max_headers = max_headers
        self._header_bytes = header_bytes
        self._bytes = 0
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, **fields: Any) -> None:
        """Keep one request: the fields of :class:`_Request` but its ``seq``."""
        cut = self._header_bytes
        if fields.get("account") is None:
            headers: list[tuple[bytes, bytes]] = []
        else:
            headers = [
                (name[:cut], value[:cut])
                for name, value in itertools.islice(fields["headers"], self._max_headers)
            ]
        fields["headers"] = headers
        fields["query"] = fields.get("query", b"")[:RAW_BODY_PREFIX]
        raw = fields.get("raw_body")
        size = (
            self._ENTRY_OVERHEAD_BYTES
            + sum(len(name) + len(value) for name, value in headers)
            + len(fields["query"])
            + (len(raw) if raw else 0)
        )
        with self._lock:
            self._seq += 1
            self._entries.append((_Request(self._seq, **fields), size))
            self._bytes += size
            while self._entries and (
                len(self._entries) > self._max_entries or self._bytes > self._max_bytes
            ):
                self._bytes -= self._entries.popleft()[1]

    @property
    def bytes(self) -> int:
        """What the kept entries cost, as the budget counts it."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            kept = [request for request, _ in self._entries]
        return [request.entry() for request in kept]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
