"""The mock's clock: frozen for tests (moves only when told), or following real time."""

from __future__ import annotations

import asyncio
import threading
import time


class MockClock:
    """Unix time as the mock sees it, in seconds.

    A frozen clock moves only through :meth:`advance` (and :meth:`sleep`, which
    advances it instead of waiting), so tests control every duration and never
    sleep. A running clock follows real time; :meth:`advance` still jumps it forward.

    >>> clock = MockClock(start=1_700_000_000)
    >>> clock.advance(2.5)
    >>> clock.now_ms()
    1700000002500
    """

    def __init__(self, start: float | None = None, *, frozen: bool = True) -> None:
        self._frozen = frozen
        self._base = time.time() if start is None else float(start)
        self._started = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

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

    def advance(self, seconds: float) -> None:
        """Jump forward; a negative amount is refused (time never runs backwards)."""
        if seconds < 0:
            raise ValueError(f"the clock cannot go back ({seconds} s)")
        with self._lock:
            self._offset += seconds

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of mock time: a real wait only on a running clock."""
        if self._frozen:
            self.advance(seconds)
        else:
            await asyncio.sleep(seconds)
