"""Ratios: the four expansion ratios, how they become a canvas, and choosing them.

* :class:`Ratios` holds the four expansion ratios; :func:`ratios_for_aspect`
  picks the largest valid ones that give a target aspect ratio or canvas.
* :func:`canvas_geometry` is the project's one statement of how ratios become
  a canvas.

>>> r = ratios_for_aspect((1200, 900), "16:9")
>>> r.left == r.right and r.up == r.down
True
>>> w, h, _, _ = canvas_geometry(1200, 900, r)
>>> round(w / h, 2)
1.78
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from kling_spec import ExpandConstraints, Violation, check_expand_request, expanded_canvas

from ._exceptions import InputValidationError
from ._images import ImageInput, is_pil_image, prepare_image

Anchor = Literal[
    "center",
    "top",
    "bottom",
    "left",
    "right",
    "top-left",
    "top-right",
    "bottom-left",
    "bottom-right",
]
_ANCHORS: Mapping[str, tuple[float, float]] = {
    # (share of the horizontal growth on the left, share of the vertical growth above)
    "center": (0.5, 0.5),
    "top": (0.5, 0.0),
    "bottom": (0.5, 1.0),
    "left": (0.0, 0.5),
    "right": (1.0, 0.5),
    "top-left": (0.0, 0.0),
    "top-right": (1.0, 0.0),
    "bottom-left": (0.0, 1.0),
    "bottom-right": (1.0, 1.0),
}
ANCHORS = tuple(_ANCHORS)

# Ratios are rounded down to this many decimals so a computed maximum never
# lands a hair over a limit through float rounding.
_RATIO_DECIMALS = 4

# The ratios alone are judged by the spec's request check with this stand-in
# image URL, which is never sent anywhere.
_STAND_IN_IMAGE_URL = "https://example.invalid/stand-in.png"


def _invalid(field: str, message: str) -> InputValidationError:
    return InputValidationError([(field, message)])


def raise_if_any(violations: Iterable[Violation]) -> None:
    """Raise :class:`InputValidationError` naming every violation, if there is one."""
    problems = [(v.field, v.message) for v in violations]
    if problems:
        raise InputValidationError(problems)


def check_ratios(ratios: Ratios, constraints: ExpandConstraints) -> None:
    """Raise :class:`InputValidationError` when the ratios break a bound or the area limit."""
    body = {**ratios.as_fields(constraints), constraints.image_field: _STAND_IN_IMAGE_URL}
    raise_if_any(check_expand_request(body, constraints))


@dataclass(frozen=True)
class Ratios:
    """The four expansion ratios: multiples of the original height (up, down) and width."""

    up: float = 0.0
    down: float = 0.0
    left: float = 0.0
    right: float = 0.0

    @classmethod
    def all(cls, ratio: float) -> Ratios:
        return cls(ratio, ratio, ratio, ratio)

    def as_fields(self, constraints: ExpandConstraints | None = None) -> dict[str, float]:
        """The ratios keyed by the request's field names, as the spec names them."""
        c = constraints or ExpandConstraints.from_spec()
        (up, down), (left, right) = c.vertical_fields, c.horizontal_fields
        return {up: self.up, down: self.down, left: self.left, right: self.right}


def canvas_geometry(
    width: int, height: int, ratios: Ratios, constraints: ExpandConstraints | None = None
) -> tuple[int, int, int, int]:
    """``(canvas_width, canvas_height, x, y)``: the expanded canvas and the original's offset.

    The project's one convention, :func:`kling_spec.expanded_canvas` (the mock
    renders with it too): ``round(w * (1 + left + right))`` x
    ``round(h * (1 + up + down))``, the original at ``(round(w * left), round(h * up))``.

    >>> canvas_geometry(400, 300, Ratios(up=0.5, left=0.25, right=0.25))
    (600, 450, 100, 150)
    """
    c = constraints or ExpandConstraints.from_spec()
    canvas = expanded_canvas(width, height, ratios.as_fields(c), c)
    return canvas.width, canvas.height, canvas.left, canvas.top


def _parse_target(target: str | tuple[int, int] | Fraction) -> Fraction:
    """The aspect asked for as an exact, positive fraction; anything else is refused.

    >>> _parse_target("16:9"), _parse_target((4, 3))
    (Fraction(16, 9), Fraction(4, 3))
    >>> _parse_target("16:0")
    Traceback (most recent call last):
    ...
    kling_expand._exceptions.InputValidationError: aspect must be W:H with W and H above 0 (for example 16:9), got '16:0'
    """  # noqa: E501 - a doctest's expected output is one line
    try:
        value = _as_fraction(target)
    except (ArithmeticError, TypeError, ValueError, IndexError):
        value = None
    if value is None or value <= 0:
        raise _invalid(
            "aspect", f"aspect must be W:H with W and H above 0 (for example 16:9), got {target!r}"
        )
    return value


def _as_fraction(target: str | tuple[int, int] | Fraction) -> Fraction | None:
    if isinstance(target, Fraction):
        return target
    if isinstance(target, tuple):
        width, height = target
        return Fraction(width, height)
    for separator in (":", "x", "/"):
        if separator in target:
            left, _, right = target.partition(separator)
            return Fraction(left.strip()) / Fraction(right.strip())
    return None


def _anchor_shares(anchor: str) -> tuple[float, float]:
    """(share of the horizontal growth on the left, share of the vertical growth above)."""
    if anchor not in _ANCHORS:
        raise _invalid("anchor", f"anchor must be one of {', '.join(_ANCHORS)}, got {anchor!r}")
    return _ANCHORS[anchor]


def _floor(value: float) -> float:
    scale: int = 10**_RATIO_DECIMALS
    return math.floor(value * scale + 1e-9) / scale


def _size_of(
    image: ImageInput | tuple[int, int], constraints: ExpandConstraints
) -> tuple[int, int]:
    if isinstance(image, tuple):
        return image
    if is_pil_image(image):
        return image.size
    prepared = prepare_image(image, constraints)
    if prepared.info is None:
        raise ValueError("ratios_for_aspect needs the image's size: pass the image, not its URL")
    return prepared.info.width, prepared.info.height


def ratios_for_aspect(
    image: ImageInput | tuple[int, int],
    aspect: str | tuple[int, int] | Fraction,
    *,
    anchor: Anchor = "center",
    fill: Literal["max", "min"] = "max",
    constraints: ExpandConstraints | None = None,
) -> Ratios:
    """The ratios that turn ``image`` into a canvas of the ``aspect`` asked for.

    ``image`` is anything :func:`prepare_image` takes, or a ``(width, height)``
    pair. ``aspect`` is ``"16:9"``-style text or a ratio. With ``fill="max"``
    (the default) the canvas is the largest the spec's limits allow (per-side
    ratio bounds and the area limit); ``fill="min"`` grows just one dimension,
    as little as needed. ``anchor`` says where the original sits. Raises
    :class:`InputValidationError` when no valid expansion reaches the aspect.

    >>> ratios_for_aspect((1000, 1000), "2:1", fill="min")
    Ratios(up=0.0, down=0.0, left=0.5, right=0.5)
    """
    c = constraints or ExpandConstraints.from_spec()
    share_x, share_y = _anchor_shares(anchor)
    target = _parse_target(aspect)
    width, height = _size_of(image, c)
    unreachable = _invalid(
        "aspect",
        f"aspect {_aspect_text(aspect, target)} cannot be reached from "
        f"{width}x{height} px with anchor {anchor} within the ratio bounds and "
        f"max_area_factor {c.max_area_factor:g}",
    )
    # Canvas = (fx * w, fy * h) with fx * w / (fy * h) = target, so fx = k * fy.
    try:
        k = float(target * height / width)
    except OverflowError:  # an aspect past float range is past every bound too
        raise unreachable from None
    if not 0 < k < math.inf:  # ... and so is one too close to 0 to be a float
        raise unreachable
    (up_f, down_f), (left_f, right_f) = c.vertical_fields, c.horizontal_fields
    fy_low = max(1.0, 1 / k)
    fy_caps = [
        _growth_cap(c.ratio_bounds[up_f].maximum, c.ratio_bounds[down_f].maximum, share_y),
        _growth_cap(c.ratio_bounds[left_f].maximum, c.ratio_bounds[right_f].maximum, share_x) / k,
        math.sqrt(c.max_area_factor / k),
    ]
    fy_high = min(fy_caps)
    if fy_high + 1e-9 < fy_low:
        raise unreachable
    fy = fy_low if fill == "min" else max(fy_low, fy_high)
    fx = k * fy
    grow_x, grow_y = max(0.0, fx - 1), max(0.0, fy - 1)
    ratios = Ratios(
        up=_floor(grow_y * share_y),
        down=_floor(grow_y * (1 - share_y)),
        left=_floor(grow_x * share_x),
        right=_floor(grow_x * (1 - share_x)),
    )
    if not c.area_ok(ratios.as_fields(c)):  # pragma: no cover - flooring keeps it inside
        raise _invalid("expansion", "computed ratios exceed max_area_factor")
    return ratios


def _aspect_text(aspect: str | tuple[int, int] | Fraction, target: Fraction) -> str:
    """The aspect as the caller wrote it when that was text, else as W:H."""
    if isinstance(aspect, str):
        return aspect.strip()
    return f"{target.numerator}:{target.denominator}"


def _growth_cap(max_first: float, max_second: float, share_first: float) -> float:
    """The largest growth factor along one axis when ``share_first`` of it goes to one side."""
    caps = []
    if share_first > 0:
        caps.append(max_first / share_first)
    if share_first < 1:
        caps.append(max_second / (1 - share_first))
    return 1 + min(caps)


def ratios_for_canvas(
    image: ImageInput | tuple[int, int],
    canvas: tuple[int, int],
    *,
    anchor: Anchor = "center",
    constraints: ExpandConstraints | None = None,
) -> Ratios:
    """The ratios that grow ``image`` to exactly ``canvas`` pixels (within rounding).

    >>> ratios_for_canvas((800, 600), (1600, 600), anchor="left")
    Ratios(up=0.0, down=0.0, left=0.0, right=1.0)
    """
    c = constraints or ExpandConstraints.from_spec()
    width, height = _size_of(image, c)
    if canvas[0] < width or canvas[1] < height:
        raise _invalid(
            "canvas", f"canvas {canvas[0]}x{canvas[1]} is smaller than the image {width}x{height}"
        )
    share_x, share_y = _anchor_shares(anchor)
    grow_x, grow_y = canvas[0] / width - 1, canvas[1] / height - 1
    ratios = Ratios(
        up=grow_y * share_y,
        down=grow_y * (1 - share_y),
        left=grow_x * share_x,
        right=grow_x * (1 - share_x),
    )
    check_ratios(ratios, c)
    return ratios
