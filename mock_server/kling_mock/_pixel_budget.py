"""A budget of canvas pixels that renders share, so memory stays bounded under load.

A render reserves its canvas's pixel count before it allocates any full bitmap and
gives it back when done. Renders that do not fit wait on a condition (no polling,
no CPU) until enough pixels are returned. Renders run in worker threads, so the
budget is a ``threading.Condition``; a reservation larger than the whole budget
is clamped to it, so it still runs, alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class PixelBudget:
    """At most ``capacity`` canvas pixels reserved at a time.

    >>> budget = PixelBudget(100)
    >>> with budget.reserve(60):
    ...     budget.in_use
    60
    >>> budget.in_use
    0
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"render_budget_pixels must be at least 1, not {capacity}")
        self.capacity = capacity
        self._in_use = 0
        self._changed = threading.Condition()

    @property
    def in_use(self) -> int:
        return self._in_use

    @contextmanager
    def reserve(self, pixels: int) -> Iterator[None]:
        """Hold ``pixels`` (at most the capacity) for the block, waiting until they fit."""
        wanted = max(1, min(pixels, self.capacity))
        with self._changed:
            self._changed.wait_for(lambda: self._in_use + wanted <= self.capacity)
            self._in_use += wanted
        try:
            yield
        finally:
            with self._changed:
                self._in_use -= wanted
                self._changed.notify_all()
