"""Bounded concurrency that costs nothing while waiting, from any event loop or thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator


class Slots:
    """At most ``count`` holders at once, awaited from whichever event loop a request
    runs on (an ``asyncio.Semaphore`` belongs to one loop; the mock may serve from
    several, and its in-process transport runs its own).

    A waiter sleeps on a future of its own loop until a holder hands it the slot, so
    waiting burns no CPU, and a waiter that goes away (its client disconnected, its
    task was cancelled) leaves the queue without taking a slot.

    >>> slots = Slots(1)
    >>> async def twice():
    ...     async with slots.hold():
    ...         pass
    ...     async with slots.hold():
    ...         return slots.free
    >>> asyncio.run(twice())
    0
    """

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError(f"a slot count must be at least 1, not {count}")
        self._free = count
        self._waiters: deque[_Waiter] = deque()
        self._lock = threading.Lock()

    @property
    def free(self) -> int:
        """Slots nobody holds right now."""
        return self._free

    @property
    def waiting(self) -> int:
        """Holders-to-be queued for a slot."""
        return len(self._waiters)

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            yield
        finally:
            self.give_back()

    async def _acquire(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return
            waiter = _Waiter(loop)
            self._waiters.append(waiter)
        try:
            await waiter.granted
        except BaseException:
            with self._lock:
                handed = waiter.handed
                if not handed:
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(waiter)
            if handed:  # the slot reached us as we went away: pass it on
                self.give_back()
            raise

    def try_take(self) -> bool:
        """Take a slot without waiting (for tests and tools that hold one by hand)."""
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return True
            return False

    def give_back(self) -> None:
        """Free a slot: the longest waiter still waiting gets it, else it is free."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                if waiter.granted.done() or waiter.loop.is_closed():
                    continue  # gone already: it is not waiting for this slot
                waiter.handed = True
                waiter.loop.call_soon_threadsafe(_grant, waiter.granted)
                return
            self._free += 1


class _Waiter:
    """One queued holder: the loop it waits on and the future that wakes it."""

    __slots__ = ("granted", "handed", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.granted: asyncio.Future[None] = loop.create_future()
        self.handed = False


def _grant(granted: asyncio.Future[None]) -> None:
    if not granted.done():
        granted.set_result(None)
