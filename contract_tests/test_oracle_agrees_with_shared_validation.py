"""Two independent readings of the spec give the same verdict on any create request.

The oracle (python-jsonschema, Pillow, exact fractions) and ``kling_spec``
(jsonschema-rs, its own header parser, decimals) share no code; agreeing on every
drawn request, on every spec copy, is evidence both read the spec right.
"""

import pytest
from hypothesis import given

from kling_spec import ExpandConstraints

from .falsify import expect_falsified
from .oracle import SpecOracle, Verdict
from .shared_verdict import shared_violations
from .spec_variants import OBSERVABLE_CHANGES
from .strategies import (
    RequestCase,
    area_at_limit,
    baseline_case,
    boundary_cases,
    byte_limit_cases,
    pin_boundaries,
    request_cases,
)


def fields_refused(verdict: Verdict, image_field: str) -> set[str]:
    """The fields a verdict blames, named the way ``kling_spec`` names them."""
    if verdict.schema_fields:
        return set(verdict.schema_fields)
    return {"expansion" if c == "max_area_factor" else image_field for c in verdict.constraints}


def missing_required(body: dict, required: tuple[str, ...]) -> list[str]:
    return [name for name in required if name not in body]


def oracle_and_shared_agree(oracle: SpecOracle, constraints: ExpandConstraints):
    bounds = oracle.bounds

    @pin_boundaries(bounds)
    @given(case=request_cases(bounds))
    def agree(case: RequestCase) -> None:
        body = case.body()

        expected = oracle.judge(body)
        actual = {v.field for v in shared_violations(body, constraints)}

        assert bool(actual) != expected.accepted, expected
        assert actual == fields_refused(expected, bounds.image_field), expected

    return agree


def test_the_oracle_and_kling_spec_agree_on_any_request(spec_variant) -> None:
    oracle_and_shared_agree(SpecOracle(spec_variant), ExpandConstraints.from_spec(spec_variant))()


def test_boundary_cases_on_a_limit_pass_and_past_it_fail(spec_variant) -> None:
    # Given the boundary cases drawn for this spec copy
    oracle = SpecOracle(spec_variant)
    cases = boundary_cases(oracle.bounds)
    assert len({case.label for case in cases}) == len(cases)

    # Then exactly the ones on a limit are accepted (a ratio at its maximum only
    # while that alone stays within the area limit)
    accepted = {case.label for case in cases if oracle.judge(case.body()).accepted}
    assert accepted == {case.label for case in cases if case.on_a_limit}


@pytest.mark.parametrize("change", OBSERVABLE_CHANGES, ids=lambda change: change.id)
def test_a_bound_moved_in_one_reader_alone_fails_the_agreement(change, make_spec) -> None:
    # Given kling_spec reading a copy where one bound moved, the oracle the published spec
    oracle = SpecOracle(make_spec())
    constraints = ExpandConstraints.from_spec(make_spec(change))

    # Then the agreement property fails
    assert expect_falsified(oracle_and_shared_agree(oracle, constraints))


def test_every_missing_required_field_is_named(resolved_spec) -> None:
    # Given an accepted request with two required fields dropped
    oracle = SpecOracle(resolved_spec)
    first, second = oracle.bounds.required[:2]
    case = baseline_case(oracle.bounds).without(first).without(second)

    # Then kling_spec names both, as the independent oracle does
    named = {v.field for v in shared_violations(case.body(), ExpandConstraints.from_spec())}
    assert named == set(oracle.judge(case.body()).schema_fields) == {first, second}


def test_an_area_factor_over_the_limit_by_a_tiny_ratio_is_refused(resolved_spec) -> None:
    # Given a request whose only excess is a tiny ratio on top of an at-limit expansion
    oracle = SpecOracle(resolved_spec)
    bounds = oracle.bounds
    at_limit = area_at_limit(bounds, bounds.horizontal)
    # (far below the 28 digits of Python's default decimal context)
    case = at_limit.with_fields("tiny excess", **{bounds.vertical[1]: 1e-200})

    # Then both readings of the spec refuse it for the area limit
    assert oracle.judge(case.body()).constraints == {"max_area_factor"}
    named = {v.field for v in shared_violations(case.body(), ExpandConstraints.from_spec())}
    assert named == {"expansion"}


def test_both_readings_accept_an_image_of_max_bytes_and_refuse_one_byte_more(
    resolved_spec,
) -> None:
    oracle = SpecOracle(resolved_spec)
    constraints = ExpandConstraints.from_spec(resolved_spec)
    for case in byte_limit_cases(oracle.bounds):
        verdict = oracle.judge(case.body())
        shared = {v.field for v in shared_violations(case.body(), constraints)}

        assert verdict.accepted is case.on_a_limit, case.label
        assert shared == fields_refused(verdict, oracle.bounds.image_field), case.label
