"""The mock's clock: frozen for tests (moves only when told), or following real time."""

from __future__ import annotations

import asyncio
import calendar
import math
import threading
import time
from collections.abc import Awaitable, Callable

#: The clock never passes the last second of 9999 (UTC): the last one Python's datetime,
#: and most consumers of task timestamps, can represent.
LATEST_TIME_S = calendar.timegm((9999, 12, 31, 23, 59, 59))


class MockClock:
    """Unix time as the mock sees it, in seconds.

    A frozen clock moves only through :meth:`advance` (and :meth:`sleep` /
    :meth:`asleep`, which advance it instead of waiting), so tests control every
    duration and never sleep. A running clock follows real time; :meth:`advance`
    still jumps it forward.

    It is also a ``kling_expand`` ``Clock`` (``monotonic``, ``sleep``, ``asleep``):
    an SDK client given ``clock=mock.clock`` moves the mock's time by every wait it
    makes (poll gaps, retry backoff, ``Retry-After``, deadlines) and never sleeps.

    >>> clock = MockClock(start=1_700_000_000)
    >>> clock.advance(2.5)
    >>> clock.now_ms()
    1700000002500
    """

    def __init__(self, start: float | None = None, *, frozen: bool = True) -> None:
        self._frozen = frozen
        self._start = start
        self._base = time.time() if start is None else float(start)
        self._started = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()
        self._after_sleep: Callable[[], object] | None = None
        self._after_asleep: Callable[[], Awaitable[object]] | None = None

    @property
    def frozen(self) -> bool:
        return self._frozen

    def now(self) -> float:
        """Seconds since the Unix epoch."""
        running = 0.0 if self._frozen else time.monotonic() - self._started
        return self._base + self._offset + running

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch, as task timestamps carry them."""
        return int(self.now() * 1000)

    def latest_advance(self) -> float:
        """The most seconds :meth:`advance` accepts now (up to :data:`LATEST_TIME_S`)."""
        return max(0.0, LATEST_TIME_S - self.now())

    def advance(self, seconds: float) -> None:
        """Jump forward. A negative or non-finite amount is refused (time never runs
        backwards), and so is one that would carry the clock past :data:`LATEST_TIME_S`.

        >>> MockClock(start=0).advance(float("inf"))
        Traceback (most recent call last):
        ...
        ValueError: seconds is inf; it must be a finite number >= 0 and at most ...
        """
        try:
            seconds = float(seconds)
        except OverflowError:  # an integer past float range is as far as infinity
            seconds = math.inf if seconds > 0 else -math.inf
        with self._lock:
            latest = self.latest_advance()
            if not (math.isfinite(seconds) and 0 <= seconds <= latest):
                raise ValueError(
                    f"seconds is {seconds}; it must be a finite number >= 0 and at most "
                    f"{latest:.0f} (the clock stops at the end of year 9999)"
                )
            self._offset += seconds

    def monotonic(self) -> float:
        """Seconds on the mock's clock, which never runs backwards (the SDK's ``Clock``)."""
        return self.now()

    def reset(self) -> None:
        """Back to where the clock started: ``start``, or real time now if none was given."""
        with self._lock:
            self._base = time.time() if self._start is None else float(self._start)
            self._started = time.monotonic()
            self._offset = 0.0

    def on_sleep(
        self,
        after_sleep: Callable[[], object] | None,
        after_asleep: Callable[[], Awaitable[object]] | None,
    ) -> None:
        """Run ``after_sleep`` after each frozen :meth:`sleep`, ``after_asleep`` after each
        frozen :meth:`asleep` (the mock sends the callbacks that came due)."""
        self._after_sleep = after_sleep
        self._after_asleep = after_asleep

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of mock time: a real wait only on a running clock.

        >>> clock = MockClock(start=0)
        >>> clock.sleep(1.5)
        >>> clock.monotonic()
        1.5
        """
        if not self._frozen:
            time.sleep(seconds)
            return
        self.advance(max(0.0, seconds))
        if self._after_sleep is not None:
            self._after_sleep()

    async def asleep(self, seconds: float) -> None:
        """Wait ``seconds`` of mock time: a real wait only on a running clock."""
        if not self._frozen:
            await asyncio.sleep(seconds)
            return
        self.advance(max(0.0, seconds))
        if self._after_asleep is not None:
            await self._after_asleep()
