"""check_expand_request gives the spec's verdict: JSON Schema plus x-kling-constraints."""

import base64
from typing import Any

import pytest

from kling_spec import (
    INVALID_VALUE,
    MALFORMED_REQUEST,
    ExpandConstraints,
    ImageInfo,
    RequestInvalid,
    as_written,
    check_expand_request,
    check_image,
    decode_image_field,
)

C = ExpandConstraints.from_spec()


def body(**fields: Any) -> dict[str, Any]:
    request: dict[str, Any] = {name: 0 for name in C.ratio_fields}
    request[C.image_field] = "https://images.test/source.png"
    request.update(fields)
    return request


def fields_of(request: Any, **kw: Any) -> list[str]:
    return [v.field for v in check_expand_request(request, C, **kw)]


def test_a_minimal_valid_request_passes() -> None:
    assert check_expand_request(body(), C) == []


@pytest.mark.parametrize("missing", C.required_fields)
def test_dropping_a_required_field_names_it(missing: str) -> None:
    request = body()
    del request[missing]

    (violation,) = check_expand_request(request, C)

    assert (violation.field, violation.code) == (missing, INVALID_VALUE)
    assert missing in violation.message


@pytest.mark.parametrize("name", C.ratio_fields)
def test_a_ratio_above_its_maximum_names_the_field_and_the_limit(name: str) -> None:
    limit = C.ratio_bounds[name].maximum

    (violation,) = check_expand_request(body(**{name: limit + 0.5}), C)

    assert violation.field == name
    assert f"{limit:g}" in violation.message


def test_n_follows_json_schema_integer_semantics() -> None:
    top = int(C.n_bound.maximum)

    assert fields_of(body(n=float(top))) == []
    assert fields_of(body(n=top + 1)) == ["n"]
    assert fields_of(body(n=1.5)) == ["n"]
    assert fields_of(body(n=True)) == ["n"]


def test_the_prompt_limit_is_inclusive() -> None:
    assert fields_of(body(prompt="x" * C.prompt_max_length)) == []
    assert fields_of(body(prompt="x" * (C.prompt_max_length + 1))) == ["prompt"]


def test_an_area_factor_exactly_at_the_limit_passes_and_just_over_it_fails() -> None:
    # Grow only the width: (1 + left + right) alone reaches the limit.
    left_name, right_name = C.horizontal_fields
    half = (C.max_area_factor - 1) / 2
    at_limit = body(**{left_name: half, right_name: half})
    over = body(**{left_name: half, right_name: half + 0.01})

    assert C.area_factor_of(at_limit) == as_written(C.max_area_factor)
    assert check_expand_request(at_limit, C) == []
    (violation,) = check_expand_request(over, C)
    assert violation.field == "expansion"
    assert "max_area_factor" in violation.message


def test_a_body_that_is_not_an_object_is_malformed() -> None:
    (violation,) = check_expand_request(["not", "an", "object"], C)

    assert violation.code == MALFORMED_REQUEST


def test_image_checks_name_the_limit_they_break() -> None:
    side = C.image_min_side
    tall = C.aspect_min

    assert check_image(ImageInfo("png", side, side, 1000), C) == []
    assert "min_side_px" in check_image(ImageInfo("png", side - 1, side, 1000), C)[0].message
    too_tall = ImageInfo("png", side * tall.numerator, side * tall.denominator + 1, 1000)
    assert "aspect_ratio" in check_image(too_tall, C)[0].message
    assert "formats" in check_image(ImageInfo("gif", side, side, 1000), C)[0].message
    big = ImageInfo("jpeg", side, side, C.image_max_bytes + 1)
    assert "max_bytes" in check_image(big, C)[0].message


def test_image_content_is_checked_only_when_given() -> None:
    small = ImageInfo("png", C.image_min_side - 1, C.image_min_side, 10)

    assert fields_of(body()) == []
    assert fields_of(body(), image=small) == [C.image_field]


def test_the_image_field_is_a_url_or_raw_base64() -> None:
    raw = b"\x89PNG\r\n\x1a\n"

    assert decode_image_field("https://images.test/a.png", C) is None
    assert decode_image_field(base64.b64encode(raw).decode(), C) == raw


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("data:image/png;base64,iVBORw0KGgo=", "data:"),
        ("not base64 at all!", "base64"),
        ("ftp://images.test/a.png", "base64"),
        ("", "empty"),
    ],
)
def test_a_bad_image_field_is_refused_with_a_reason(value: str, words: str) -> None:
    with pytest.raises(RequestInvalid, match=words) as caught:
        decode_image_field(value, C)

    assert caught.value.violations[0].field == C.image_field


def test_an_oversized_upload_is_refused_before_it_is_decoded() -> None:
    too_long = "A" * (4 * (C.image_max_bytes // 3) + 8)

    with pytest.raises(RequestInvalid, match="max_bytes"):
        decode_image_field(too_long, C)


def test_a_vanishingly_small_ratio_still_counts_against_the_area_limit() -> None:
    # Given a body exactly on the area limit, one more tiny ratio must tip it over:
    # fixed-precision decimal arithmetic would round 1 + 1e-200 back to 1.
    left_name, right_name = C.horizontal_fields
    up_name = C.vertical_fields[0]
    half = (C.max_area_factor - 1) / 2
    on_limit = body(**{left_name: half, right_name: half})

    assert check_expand_request(on_limit, C) == []
    assert fields_of({**on_limit, up_name: 1e-200}) == ["expansion"]


def test_a_deeply_nested_body_is_refused_as_malformed_without_recursing() -> None:
    nested: Any = True
    for _ in range(5000):
        nested = [nested]

    (violation,) = check_expand_request(body(watermark_info={"enabled": nested}), C)

    assert violation.code == MALFORMED_REQUEST


def test_an_over_long_prompt_is_named_with_its_length_and_limit_not_quoted() -> None:
    prompt = "y" * (C.prompt_max_length + 1)

    (violation,) = check_expand_request(body(prompt=prompt), C)

    assert violation.message == (
        f"prompt is {len(prompt)} characters long; the maxLength is {C.prompt_max_length}"
    )
