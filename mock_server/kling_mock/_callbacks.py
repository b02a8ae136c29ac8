"""Callbacks: the flat task record POSTed to ``callback_url`` on every status change.

Deliveries are driven by the mock's clock: a status change queues one, advancing
the clock sends what is due, and a failed attempt is retried with exponential
backoff on the same clock. Signing follows Standard Webhooks when a secret is set.

No receiver can stall the mock: each attempt is bounded as a whole (connect, send
and read together), attempts run concurrently up to a bound, the clock's admin
route does not wait for slow receivers, and pending deliveries are capped.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import httpx
from standardwebhooks import Webhook

PENDING, DELIVERED, FAILED, REFUSED = "pending", "delivered", "failed", "refused"


@dataclass
class Delivery:
    """One callback: what is sent where, and every attempt so far."""

    delivery_id: str
    task_id: str
    task_status: str
    url: str
    payload: bytes
    due_ms: int
    state: str = PENDING
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "task_id": self.task_id,
            "task_status": self.task_status,
            "url": self.url,
            "state": self.state,
            "attempts": list(self.attempts),
            "next_attempt_ms": self.due_ms if self.state == PENDING else None,
            "payload": json.loads(self.payload),
        }


class CallbackQueue:
    """Deliveries waiting for the clock, and a bounded history of finished ones."""

    def __init__(
        self,
        *,
        secret: str | None,
        max_attempts: int,
        backoff_seconds: float,
        timeout_seconds: float,
        max_entries: int,
        refusal: Callable[[str], str | None],
    ) -> None:
        self._webhook = Webhook(secret) if secret else None
        self._max_attempts = max_attempts
        self._backoff_ms = int(backoff_seconds * 1000)
        self.timeout_seconds = timeout_seconds
        self._refusal = refusal
        self._all: deque[Delivery] = deque(maxlen=max_entries)
        self._max_pending = max_entries
        self._pending: list[Delivery] = []
        self._lock = threading.Lock()
        self._count = 0

    def add(
        self, task_id: str, status: str, url: str, record: Mapping[str, Any], at_ms: int
    ) -> None:
        with self._lock:
            self._count += 1
            delivery = Delivery(
                delivery_id=f"msg_{task_id}_{self._count}",
                task_id=task_id,
                task_status=status,
                url=url,
                payload=json.dumps(record, separators=(",", ":")).encode(),
                due_ms=at_ms,
            )
            self._all.append(delivery)
            refusal = self._refusal(url)
            if refusal is None:
                self._make_room()
                self._pending.append(delivery)
            else:
                delivery.state = REFUSED
                delivery.attempts.append({"time_ms": at_ms, "error": refusal})

    def _make_room(self) -> None:
        """Keep at most ``max_entries`` deliveries pending: past that, the one due first is
        given up (a receiver that never answers must not make the queue grow for ever)."""
        while len(self._pending) >= self._max_pending:
            oldest = min(self._pending, key=lambda d: d.due_ms)
            self._pending.remove(oldest)
            oldest.state = FAILED
            oldest.attempts.append(
                {
                    "time_ms": oldest.due_ms,
                    "error": f"given up: more than deliveries_max_entries {self._max_pending} "
                    "deliveries were pending",
                }
            )

    @property
    def pending(self) -> int:
        """Deliveries waiting for their time (or their retry)."""
        return len(self._pending)

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._all)

    def clear(self) -> None:
        with self._lock:
            self._all.clear()
            self._pending.clear()

    def take_due(self, now_ms: int) -> list[Delivery]:
        """The pending deliveries whose time has come, oldest first."""
        with self._lock:
            due = sorted((d for d in self._pending if d.due_ms <= now_ms), key=lambda d: d.due_ms)
            for delivery in due:
                self._pending.remove(delivery)
            return due

    def headers(self, delivery: Delivery, now: float) -> dict[str, str]:
        """Standard Webhooks headers: id, timestamp and (with a secret) the signature.

        ``now`` is the wall-clock time of sending, not the mock's clock: a receiver
        checks ``webhook-timestamp`` against its own clock (within five minutes), and
        tests move the mock's clock by hours. The task record in the body keeps the
        mock's times.
        """
        stamp = datetime.fromtimestamp(now, tz=UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.delivery_id,
            "webhook-timestamp": str(int(now)),
        }
        if self._webhook is not None:
            headers["webhook-signature"] = self._webhook.sign(
                delivery.delivery_id, stamp, delivery.payload.decode()
            )
        return headers

    def settle(self, delivery: Delivery, now_ms: int, status: int | None, error: str) -> None:
        """Record an attempt; retry later with backoff unless it succeeded or ran out."""
        attempt: dict[str, Any] = {"time_ms": now_ms}
        attempt.update({"status": status} if status is not None else {"error": error})
        with self._lock:
            delivery.attempts.append(attempt)
            if status is not None and 200 <= status < 300:
                delivery.state = DELIVERED
            elif len(delivery.attempts) >= self._max_attempts:
                delivery.state = FAILED
            else:
                delivery.due_ms = now_ms + self._backoff_ms * 2 ** (len(delivery.attempts) - 1)
                self._make_room()
                self._pending.append(delivery)


async def attempt(
    client: httpx.AsyncClient, delivery: Delivery, headers: dict[str, str], timeout_seconds: float
) -> tuple[int | None, str]:
    """One POST of ``delivery``, bounded as a whole: connecting, sending and reading
    together take at most ``timeout_seconds`` (httpx's timeouts bound each read alone, so
    a receiver answering a byte at a time would hold the attempt for ever)."""
    try:
        async with asyncio.timeout(timeout_seconds):
            response = await client.post(delivery.url, content=delivery.payload, headers=headers)
    except TimeoutError:
        return None, f"TimeoutError: no answer within callback_timeout_seconds {timeout_seconds:g}"
    except Exception as exc:  # any failure, not only httpx.HTTPError, is an attempt that failed
        return None, f"{type(exc).__name__}: {exc}"
    return response.status_code, ""


class ThreadedTransport(httpx.AsyncBaseTransport):
    """A synchronous transport driven from async code: each request runs in a thread."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        def send() -> httpx.Response:
            request.read()
            response = self._transport.handle_request(request)
            try:
                return httpx.Response(
                    response.status_code, headers=response.headers, content=response.read()
                )
            finally:
                response.close()

        return await anyio.to_thread.run_sync(send, abandon_on_cancel=True)
