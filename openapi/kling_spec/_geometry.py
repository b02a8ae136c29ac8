"""Where the expanded canvas ends up: its size and the original's offset, in one function."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from ._constraints import ExpandConstraints, as_written


@dataclass(frozen=True)
class Canvas:
    """The expanded image's size and where the original sits on it, in pixels."""

    width: int
    height: int
    left: int
    top: int


def expanded_canvas(
    width: int,
    height: int,
    ratios: Mapping[str, float],
    constraints: ExpandConstraints | None = None,
) -> Canvas:
    """The project's canvas convention (``x-kling-constraints.expansion.canvas_rounding``).

    canvas = ``round(w * (1 + left + right))`` x ``round(h * (1 + up + down))``, the
    original at ``(round(w * left), round(h * up))``. Kling does not document its
    rounding: here ``round`` takes halves up, applied exactly to the ratios as
    written (:func:`as_written`). Half to even would not do: 303 px widened by
    0.5 on the left would be a 454 px canvas (454.5 to even) with the original at
    152 (151.5 to even), its last column off the edge. The mock renders and the
    SDK predicts with this one function.

    >>> c = ExpandConstraints.from_spec()
    >>> up, down = c.vertical_fields
    >>> left, right = c.horizontal_fields
    >>> expanded_canvas(400, 300, {up: 0.5, down: 0, left: 0.25, right: 0.25}, c)
    Canvas(width=600, height=450, left=100, top=150)
    """
    c = constraints or ExpandConstraints.from_spec()
    up, down = (as_written(ratios[name]) for name in c.vertical_fields)
    left, right = (as_written(ratios[name]) for name in c.horizontal_fields)
    return Canvas(
        width=_round_half_up(width * (1 + left + right)),
        height=_round_half_up(height * (1 + up + down)),
        left=_round_half_up(width * left),
        top=_round_half_up(height * up),
    )


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))
