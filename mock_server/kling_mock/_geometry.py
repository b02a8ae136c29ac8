"""Where the expanded canvas ends up: its size and the original's offset, in one function."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from kling_spec import ExpandConstraints


@dataclass(frozen=True)
class Canvas:
    """The expanded image's size and where the original sits on it, in pixels."""

    width: int
    height: int
    left: int
    top: int


def _exact(value: float) -> Decimal:
    # The ratio as written in the request (0.1 is 0.1), as the area check reads it.
    return Decimal(repr(float(value)))


def _round(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


def expanded_canvas(
    width: int, height: int, ratios: Mapping[str, float], constraints: ExpandConstraints
) -> Canvas:
    """The project's canvas convention (x-kling-constraints.expansion.canvas_rounding).

    canvas = ``round(w * (1 + left + right))`` x ``round(h * (1 + up + down))``, the
    original at ``(round(w * left), round(h * up))``; ``round`` is Python's (half to
    even), applied to the ratios as written in decimal.

    >>> c = ExpandConstraints.from_spec()
    >>> up, down = c.vertical_fields
    >>> left, right = c.horizontal_fields
    >>> expanded_canvas(400, 300, {up: 0.5, down: 0, left: 0.25, right: 0.25}, c)
    Canvas(width=600, height=450, left=100, top=150)
    """
    up, down = (_exact(ratios[name]) for name in constraints.vertical_fields)
    left, right = (_exact(ratios[name]) for name in constraints.horizontal_fields)
    return Canvas(
        width=_round(width * (1 + left + right)),
        height=_round(height * (1 + up + down)),
        left=_round(width * left),
        top=_round(height * up),
    )
