"""The refined positive-data check excuses only refusals the spec's prose explains.

A 400/1201 to schema-valid data is excused when the oracle refuses the same body
for a rule JSON Schema cannot state (the area factor, the image's content) and
the message names that rule; a refusal the oracle would not make, or one for a
rule JSON Schema states, is reported.
"""

import copy

import httpx
import pytest
import schemathesis
from hypothesis import given
from schemathesis.core.failures import FailureGroup

from kling_mock import DEFAULT_DEV_KEY, MockKling

from .images import ImageSpec
from .oracle import SpecBounds, SpecOracle
from .schemathesis_checks import excused_refusal, positive_data_acceptance_for
from .spec_variants import PROMPT_SHORTENED
from .strategies import URL_IMAGE, RequestCase, baseline_case


def answer(status, code, message):
    return httpx.Response(status, json={"code": code, "message": message, "request_id": "r"})


def invalid(message):
    return answer(400, 1201, message)


def by_url(bounds: SpecBounds) -> RequestCase:
    return RequestCase("by url", baseline_case(bounds).fields, bounds.image_field, URL_IMAGE)


def over_the_area(bounds: SpecBounds) -> dict:
    wide = {name: float(bounds.ratio_max[name]) for name in bounds.ratio_fields}
    return by_url(bounds).with_fields("over the area", **wide).body()


def too_small(bounds: SpecBounds) -> dict:
    kind = sorted(bounds.formats)[0]
    image = ImageSpec(kind, bounds.min_side - 1, bounds.min_side)
    return RequestCase("too small", by_url(bounds).fields, bounds.image_field, image).body()


def not_base64(bounds: SpecBounds) -> dict:
    return {**by_url(bounds).body(), bounds.image_field: "not base64 at all!"}


def valid(bounds: SpecBounds) -> dict:
    return by_url(bounds).with_fields("valid", **{bounds.prompt_field: "p"}).body()


def prompt_too_long(bounds: SpecBounds) -> dict:
    return (
        by_url(bounds)
        .with_fields("long", **{bounds.prompt_field: "p" * (bounds.prompt_max + 1)})
        .body()
    )


def prompt_message(bounds: SpecBounds) -> str:
    return f"{bounds.prompt_field}: must be at most {bounds.prompt_max} characters"


CASES = [
    # (body, the refusal, excused)
    (over_the_area, lambda b: invalid(f"the max_area_factor is {b.max_area_factor}"), True),
    (too_small, lambda b: invalid(f"image is too small; see min_side_px {b.min_side}"), True),
    (not_base64, lambda b: invalid(f"{b.image_field} must be an http(s) URL or base64"), True),
    # the oracle accepts the body: no message excuses refusing it
    (valid, lambda b: invalid(prompt_message(b)), False),
    (valid, lambda b: invalid(f"the max_area_factor is {b.max_area_factor}"), False),
    # refused beyond the schema, but the message names another reason
    (not_base64, lambda b: invalid(prompt_message(b)), False),
    (over_the_area, lambda b: invalid(f"{b.image_field} must be an http(s) URL"), False),
    (too_small, lambda b: invalid(f"the max_area_factor is {b.max_area_factor}"), False),
    # refused for a rule plain JSON Schema states
    (prompt_too_long, lambda b: invalid(prompt_message(b)), False),
    # not an invalid value, or not Kling's envelope
    (over_the_area, lambda b: answer(400, 1200, "the max_area_factor is exceeded"), False),
    (over_the_area, lambda b: answer(413, 1201, "the max_area_factor is exceeded"), False),
    (over_the_area, lambda b: httpx.Response(400, text="<html>max_area_factor</html>"), False),
    (over_the_area, lambda b: invalid("the max_area_factors are weird"), False),
]


@pytest.mark.parametrize(
    ("body", "response", "excused"),
    CASES,
    ids=[f"{body.__name__}-{i}" for i, (body, _, _) in enumerate(CASES)],
)
def test_only_a_refusal_the_oracle_makes_beyond_json_schema_is_excused(
    body, response, excused, resolved_spec
) -> None:
    oracle = SpecOracle(resolved_spec)

    assert excused_refusal(response(oracle.bounds), oracle, body(oracle.bounds)) is excused


def test_a_format_breach_is_judged_independently(resolved_spec) -> None:
    oracle = SpecOracle(resolved_spec)
    body = by_url(oracle.bounds).body()

    assert oracle.format_breaches({**body, "callback_url": ""}) == {"callback_url"}
    assert oracle.format_breaches({**body, "callback_url": "https://hooks.test/k"}) == set()
    refusal = invalid("callback_url is not a valid uri")
    assert excused_refusal(refusal, oracle, {**body, "callback_url": ""})
    assert not excused_refusal(refusal, oracle, {**body, "callback_url": "https://hooks.test/k"})


def test_a_mock_refusing_a_valid_prompt_fails_the_refined_check(resolved_spec) -> None:
    # Given a mock that reads a shorter prompt limit than the spec Schemathesis runs on
    bounds = SpecBounds.read(resolved_spec)
    narrowed = SpecBounds.read(PROMPT_SHORTENED.applied_to(resolved_spec)).prompt_max
    mock = MockKling(spec=PROMPT_SHORTENED.applied_to(resolved_spec))
    config = schemathesis.Config.from_dict(
        {"auth": {"openapi": {"bearerAuth": {"bearer": DEFAULT_DEV_KEY}}}}
    )
    schema = schemathesis.openapi.from_dict(copy.deepcopy(resolved_spec), config=config)
    schema.app = mock.app
    refined = positive_data_acceptance_for(SpecOracle(resolved_spec))
    long_prompt = by_url(bounds).with_fields("long", **{bounds.prompt_field: "p" * (narrowed + 1)})
    over_area = over_the_area(bounds)

    @given(case=schema[bounds.create_path]["POST"].as_strategy())
    def refined_check(case) -> None:
        # When positive data carries a prompt the spec allows and the mock refuses
        case.body = long_prompt.body()

        # Then the refined check reports the refusal
        with pytest.raises(FailureGroup, match="Schema-valid request rejected"):
            case.call_and_validate(checks=[refined])

        # While the same mock's refusal of a canvas over the area limit is excused
        case.body = over_area
        case.call_and_validate(checks=[refined])

    refined_check()
