"""The refined positive-data check lets through only refusals the spec's prose explains."""

import httpx
import pytest

from .oracle import SpecOracle
from .schemathesis_checks import refused_for_a_constraint


def answer(status, code, message):
    return httpx.Response(status, json={"code": code, "message": message, "request_id": "r"})


@pytest.mark.parametrize(
    ("response", "counts"),
    [
        (answer(400, 1201, "(1 + up) * (1 + left) is 4; the max_area_factor is 3"), True),
        (answer(400, 1201, "image is 299x300 px; each side must be at least min_side_px"), True),
        (answer(400, 1201, "n: 10 is greater than the maximum of 9"), False),
        (answer(400, 1200, "image: the max_bytes is exceeded"), False),
        (answer(413, 1201, "the max_bytes is exceeded"), False),
        (answer(400, 1201, "the max_area_factors are weird"), False),
        (httpx.Response(400, text="<html>max_area_factor</html>"), False),
    ],
)
def test_only_a_1201_naming_a_constraint_counts(response, counts, published_bounds) -> None:
    assert refused_for_a_constraint(response, published_bounds.constraint_names) is counts


def test_a_format_breach_is_judged_independently(resolved_spec) -> None:
    oracle = SpecOracle(resolved_spec)
    body = {name: 0 for name in oracle.bounds.ratio_fields}
    body[oracle.bounds.image_field] = "https://images.test/a.png"

    assert oracle.format_breaches({**body, "callback_url": ""}) == {"callback_url"}
    assert oracle.format_breaches({**body, "callback_url": "https://hooks.test/k"}) == set()
