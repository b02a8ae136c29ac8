"""ExpandConstraints reads every limit from the spec it is given."""

import copy
from fractions import Fraction

import pytest

from kling_spec import ExpandConstraints, SpecError, load_resolved_spec, request_schema_of


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
