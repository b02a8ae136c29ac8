"""When to retry, how long to wait, and the clock that does the waiting.

Every wait in the SDK (retry backoff, polling) goes through a :class:`Clock`,
so tests hand the client a fake one and never sleep for real.

>>> policy = RetryPolicy(initial_delay=1.0, multiplier=2.0, jitter=0.0)
>>> [policy.delay(n, retry_after=None, rand=lambda: 0.0) for n in range(3)]
[1.0, 2.0, 4.0]
>>> policy.delay(0, retry_after=3600.0, rand=lambda: 0.0) == policy.max_retry_after
True
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    KlingError,
    ServerError,
)


class Clock(Protocol):
    """A monotonic time source that can also wait, sync and async."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    async def asleep(self, seconds: float) -> None: ...


class WallClock(Protocol):
    """A clock that also tells Unix seconds (Kling's tokens are timed on it)."""

    def now(self) -> float: ...


class SystemClock:
    """The real clock: :func:`time.monotonic`, :func:`time.sleep`, :func:`asyncio.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> float:
        """Unix seconds (:func:`time.time`), which Kling's tokens carry."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        import asyncio  # loaded already: this runs in an event loop

        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a request that failed for a passing reason.

    ``max_retries`` counts retries after the first attempt. Delays grow by
    ``multiplier`` from ``initial_delay`` (Kling advises at least 1 s) up to
    ``max_delay``, plus up to ``jitter`` times as much again at random so many
    clients do not retry in step. A ``Retry-After`` from the service wins over
    the backoff, capped at ``max_retry_after`` seconds: a service that asks for
    longer is waited on for the cap (the longest one retry may block), never
    retried sooner. Where a wait has a deadline, a delay that would pass it
    ends the wait at the deadline with the failure instead (see ``retrying``).
    """

    max_retries: int = 2
    initial_delay: float = 1.0
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.25
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be at least 0, got {self.max_retries}")
        if self.initial_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays must not be negative")

    def delay(
        self, retry_number: int, *, retry_after: float | None, rand: Callable[[], float]
    ) -> float:
        """Seconds to wait before retry ``retry_number`` (0 for the first retry)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        base = min(self.max_delay, self.initial_delay * self.multiplier**retry_number)
        return min(self.max_delay, base * (1 + self.jitter * rand()))


def default_rand() -> float:
    """Jitter's random source; not for secrets."""
    return random.random()  # jitter only, never a secret


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - now())
    return seconds if seconds >= 0 else None


def should_retry(error: KlingError) -> bool:
    """Whether ``error`` is worth another attempt of the same (query) request."""
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, APIStatusError):
        return error.retryable
    return False


def outcome_unknown(error: KlingError) -> bool:
    """Whether a create request that failed this way may still have created a task.

    A refused connection never reached the service, and a 4xx answer says the
    service did not act; a timeout, a dropped connection or a 5xx leave it open,
    and so do a server error code in any envelope (Kling may answer ``{"code":
    5000}`` with HTTP 200) and a success status whose body cannot be read as a
    task (the service may have created it and only the answer is broken).
    """
    if isinstance(error, APIConnectionError):
        return error.request_sent
    if isinstance(error, APIResponseValidationError):
        return True
    if isinstance(error, APIStatusError):
        return error.status_code >= 500 or isinstance(error, ServerError)
    return False


@dataclass(frozen=True)
class PollPolicy:
    """How ``wait`` polls: gaps of ``interval`` s growing by ``multiplier`` to ``max_interval``.

    CometAPI suggests 20-30 s between polls of an image task, hence the cap.
    """

    timeout: float = 600.0
    interval: float = 5.0
    max_interval: float = 30.0
    multiplier: float = 1.5

    def __post_init__(self) -> None:
        if self.timeout < 0 or self.interval <= 0 or self.max_interval <= 0:
            raise ValueError("poll timeout must be >= 0 and intervals > 0")
