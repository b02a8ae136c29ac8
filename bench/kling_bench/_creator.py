"""Create many tasks fast: keep-alive HTTP/1.1 over asyncio streams, bounded in count and time.

httpx spends more CPU per request than a fast server does, so filling a mock
with 100,000 tasks through it takes minutes on two cores. This sender writes
one prepared request again and again on a few keep-alive connections and reads
only what it must (status line, headers, body length).

>>> head = b"HTTP/1.1 200 OK\\r\\ncontent-length: 2\\r\\nContent-Type: application/json\\r\\n\\r\\n"
>>> parse_response_head(head)
(200, {'content-length': '2', 'content-type': 'application/json'})
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

from ._requests import task_id_of


@dataclass(frozen=True)
class Batch:
    """The outcome of one batch of creates."""

    created: int
    failed: int
    seconds: float
    first_task_id: str | None
    first_failure: str | None = None


def parse_response_head(head: bytes) -> tuple[int, dict[str, str]]:
    """Status code and lower-cased headers of an HTTP/1.1 response head."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return status, headers


def build_request(
    method: str, path: str, *, host: str, port: int, headers: Mapping[str, str], body: bytes
) -> bytes:
    """One HTTP/1.1 keep-alive request, ready to write.

    >>> build_request("POST", "/x", host="h", port=1, headers={}, body=b"{}").splitlines()[0]
    b'POST /x HTTP/1.1'
    """
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return b"".join(chunks)
            chunks.append(chunk[:-2])
    return await reader.readexactly(int(headers.get("content-length", "0")))


async def _create_batch(
    host: str, port: int, request: bytes, *, count: int, concurrency: int, deadline_s: float
) -> Batch:
    remaining = count
    created = failed = 0
    first_task_id: str | None = None
    first_failure: str | None = None
    start = time.monotonic()

    async def sender() -> None:
        nonlocal remaining, created, failed, first_task_id, first_failure
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while remaining > 0 and time.monotonic() - start < deadline_s:
                remaining -= 1
                writer.write(request)
                status, headers = parse_response_head(await reader.readuntil(b"\r\n\r\n"))
                body = await _read_body(reader, headers)
                if status == 200 and first_task_id is not None:
                    created += 1
                else:
                    try:
                        task_id = task_id_of(json.loads(body))
                    except ValueError as exc:
                        failed += 1
                        first_failure = first_failure or f"HTTP {status}: {exc}"
                    else:
                        created += 1
                        first_task_id = first_task_id or task_id
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return Batch(created, failed, round(time.monotonic() - start, 2), first_task_id, first_failure)


def create_batch(
    host: str,
    port: int,
    request: bytes,
    *,
    count: int,
    concurrency: int = 16,
    deadline_s: float = 600.0,
) -> Batch:
    """Send ``request`` (a create) up to ``count`` times within ``deadline_s`` seconds.

    Every answer is checked for HTTP 200; the first is also parsed for its task id.
    """
    return asyncio.run(
        _create_batch(
            host, port, request, count=count, concurrency=concurrency, deadline_s=deadline_s
        )
    )
