"""The SDK predicts the expanded canvas the way the spec's convention (and the mock) draws it.

Users place the original on the result with ``canvas_geometry`` (and
``compose_before_after`` outlines it there), so it must give the spec's
``canvas_rounding`` answer, computed on the ratios as written.
"""

from hypothesis import example, given
from hypothesis import strategies as st

from kling_expand import Ratios, canvas_geometry
from kling_spec import ExpandConstraints

from .oracle import SpecBounds
from .strategies import baseline_case, valid_request_cases


def sdk_ratios(fields, bounds: SpecBounds) -> Ratios:
    (up, down), (left, right) = bounds.vertical, bounds.horizontal
    return Ratios(up=fields[up], down=fields[down], left=fields[left], right=fields[right])


def test_canvas_geometry_follows_the_convention(spec_variant) -> None:
    # On every spec copy: the ratios it allows, the field names it gives them
    bounds = SpecBounds.read(spec_variant)
    constraints = ExpandConstraints.from_spec(spec_variant)
    base = baseline_case(bounds)
    # Ties in decimal, which the convention rounds up: 315 * 1.1 = 346.5 (binary
    # floats land on the tie too) and 525 * 1.14 = 598.5 (they land above it).
    tie = base.with_fields("tie", **{bounds.horizontal[0]: 0.1}).fields
    float_tie = base.with_fields("tie", **{bounds.vertical[1]: 0.14}).fields

    @given(
        fields=valid_request_cases(bounds).map(lambda case: case.fields),
        width=st.integers(bounds.min_side, 4 * bounds.min_side),
        height=st.integers(bounds.min_side, 4 * bounds.min_side),
    )
    @example(fields=tie, width=315, height=bounds.min_side)
    @example(fields=float_tie, width=bounds.min_side, height=525)
    def same_canvas(fields, width, height) -> None:
        expected = bounds.canvas(width, height, fields)

        assert canvas_geometry(width, height, sdk_ratios(fields, bounds), constraints) == expected

    same_canvas()
