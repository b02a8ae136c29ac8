"""ExpandConstraints reads every limit from the spec it is given."""

import copy
import math
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kling_spec import (
    ExpandConstraints,
    SpecError,
    as_written,
    load_resolved_spec,
    request_schema_of,
)


@pytest.fixture
def spec():
    return copy.deepcopy(load_resolved_spec())


def test_constraints_come_from_the_schema_and_its_extension(spec) -> None:
    schema = request_schema_of(spec)
    extra = schema["x-kling-constraints"]

    c = ExpandConstraints.from_spec(spec)

    for name in c.ratio_fields:
        assert c.ratio_bounds[name].maximum == schema["properties"][name]["maximum"]
    assert c.n_bound.maximum == schema["properties"]["n"]["maximum"]
    assert c.max_area_factor == extra["expansion"]["max_area_factor"]
    assert c.prompt_max_length == extra["prompt"]["max_length"]
    assert c.image_min_side == extra["image"]["min_side_px"]
    assert c.aspect_min * c.aspect_max == 1


def test_a_changed_bound_in_a_spec_copy_changes_the_constraints(spec) -> None:
    schema = request_schema_of(spec)
    schema["properties"]["up_expansion_ratio"]["maximum"] = 3
    schema["x-kling-constraints"]["expansion"]["max_area_factor"] = 2
    schema["x-kling-constraints"]["image"]["aspect_ratio"]["max"] = "2:1"

    c = ExpandConstraints.from_spec(spec)

    assert c.ratio_bounds["up_expansion_ratio"].maximum == 3
    assert c.max_area_factor == 2
    assert c.aspect_max == Fraction(2)


def test_aspect_check_is_exact_at_both_limits() -> None:
    c = ExpandConstraints.from_spec()
    # width:height exactly at each limit, as integers (scaled to real image sizes)
    wide, tall, scale = c.aspect_max, c.aspect_min, c.image_min_side

    assert c.aspect_ok(wide.numerator * scale, wide.denominator * scale)
    assert c.aspect_ok(tall.numerator * scale, tall.denominator * scale)
    assert not c.aspect_ok(wide.numerator * scale + 1, wide.denominator * scale)
    assert not c.aspect_ok(tall.numerator * scale, tall.denominator * scale + 1)


def test_prompt_limits_that_disagree_are_refused(spec) -> None:
    request_schema_of(spec)["properties"]["prompt"]["maxLength"] = 10

    with pytest.raises(SpecError, match="disagrees"):
        ExpandConstraints.from_spec(spec)


C = ExpandConstraints.from_spec()
_RATIO_MAX = max(b.maximum for b in C.ratio_bounds.values())
# Short decimals (0.1, 0.75) are what people write, and where binary floats err.
RATIO = st.floats(min_value=0, max_value=_RATIO_MAX) | st.decimals(
    min_value=0, max_value=_RATIO_MAX, places=2
).map(float)


@st.composite
def ratios_near_the_area_limit(draw) -> dict[str, float]:
    """Four ratios; often the last is solved, exactly, to put the area on the limit, then
    moved a few ulps (the short decimals make the exact solution often a short decimal too)."""
    up, down, left, right = C.ratio_fields
    ratios = {up: draw(RATIO), down: draw(RATIO), left: draw(RATIO), right: draw(RATIO)}
    if draw(st.booleans()):
        vertical = 1 + as_written(ratios[up]) + as_written(ratios[down])
        solved = float(as_written(C.max_area_factor) / vertical - 1 - as_written(ratios[left]))
        for _ in range(draw(st.integers(-3, 3))):
            solved = math.nextafter(solved, math.inf)
        ratios[right] = max(solved, 0.0)
    return ratios


def _on_the_limit_with_tenths() -> dict[str, float]:
    """up = down = 0.1 and the width solved onto the limit: exact there, a float is over."""
    (up, down), (left, right) = C.vertical_fields, C.horizontal_fields
    half = float((as_written(C.max_area_factor) / (1 + 2 * as_written(0.1)) - 1) / 2)
    return {up: 0.1, down: 0.1, left: half, right: half}


@given(ratios_near_the_area_limit())
@example(_on_the_limit_with_tenths())
def test_the_area_check_agrees_with_exact_arithmetic_everywhere(ratios) -> None:
    # Given ratios anywhere, on the limit and a few ulps either side of it included
    exact = C.area_factor_of(ratios) <= as_written(C.max_area_factor)
    # Then the quick check decides as exact arithmetic on the written numbers does
    assert C.area_ok(ratios) is exact


def test_every_request_field_name_comes_from_the_constraints(spec) -> None:
    extra = request_schema_of(spec)["x-kling-constraints"]

    c = ExpandConstraints.from_spec(spec)

    assert c.image_field == extra["image"]["field"]
    assert c.prompt_field == extra["prompt"]["field"]
    assert c.n_field == extra["n"]["field"]
    assert c.watermark_field == extra["watermark"]["field"]
    assert c.watermark_enabled_field == extra["watermark"]["enabled"]
    assert c.callback_field == extra["callback"]["field"]
    assert c.external_task_id_field == extra["external_task_id"]["field"]
