"""What every handler needs of a request: its service, its id, and its body within bounds."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import ClientDisconnect, Request

from ._errors import BodyTimedOut, BodyTooLarge
from ._service import MockService


def service_of(request: Request) -> MockService:
    service: MockService = request.app.state.service
    return service


def request_id(request: Request) -> str:
    # The scope's state dict itself: a missing key on ``request.state`` costs a raised
    # and caught AttributeError, on every request.
    state: dict[str, Any] = request.scope.setdefault("state", {})
    request_id = state.get("request_id")
    if request_id is None:
        request_id = state["request_id"] = service_of(request).new_request_id()
    return str(request_id)


def declared_length(request: Request, limit: int, service: MockService) -> int | None:
    """The Content-Length, if there is one; refused with 413 when over ``limit``."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        return None
    if int(declared) > limit:
        c = service.constraints
        raise BodyTooLarge(limit, c.image_field, c.image_max_bytes)
    return int(declared)


async def read_body(request: Request, limit: int, service: MockService) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit``, and with 408
    when it does not arrive within the configured ``body_timeout_seconds``."""
    c = service.constraints
    declared = declared_length(request, limit, service)
    chunks: list[bytes] = []
    size = 0
    seconds = service.config.body_timeout_seconds
    try:
        async with asyncio.timeout(seconds):
            while True:  # the ASGI messages themselves: no stream wrapper per request
                message = await request.receive()
                if message["type"] == "http.disconnect":
                    raise ClientDisconnect()
                chunk = message.get("body", b"")
                if not chunks:  # what the journal shows of a body it cannot parse
                    request.scope.setdefault("state", {})["journal_raw"] = chunk
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(limit, c.image_field, c.image_max_bytes)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except TimeoutError:
        raise BodyTimedOut(seconds, size, declared) from None
