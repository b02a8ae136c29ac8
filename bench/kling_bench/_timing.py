"""Small, bounded timing loops for the in-process figures.

>>> ticks = iter(range(100))
>>> median_seconds(lambda: None, repeat=3, clock=lambda: float(next(ticks)))
1.0
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(
    action: Callable[[], object],
    *,
    repeat: int,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """The median wall time of ``repeat`` calls of ``action``."""
    samples = []
    for _ in range(max(1, repeat)):
        start = clock()
        action()
        samples.append(clock() - start)
    return statistics.median(samples)


def per_call_seconds(
    action: Callable[[], object],
    *,
    calls: int,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """The mean wall time of one call over ``calls`` back-to-back calls."""
    calls = max(1, calls)
    start = clock()
    for _ in range(calls):
        action()
    return (clock() - start) / calls
