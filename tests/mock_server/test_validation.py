"""Every refusal is Kling's envelope with the documented status and code, naming field and limit.

Limits come from the spec (ExpandConstraints), never from literals here; tests that
need a different limit hand the mock a modified copy of the spec.
"""

import copy
import json
import struct
import zlib
from typing import Any

import pytest

from kling_mock import MockKling
from kling_spec import (
    CREATE_PATH,
    ExpandConstraints,
    SpecError,
    load_resolved_spec,
    request_schema_of,
)

from .conftest import AUTH, Api, C, b64, encode, picture


def assert_refused(response: Any, status: int, code: int, *words: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert body["request_id"]
    for word in words:
        assert word in body["message"], (word, body["message"])
    message: str = body["message"]
    return message


def spec_with(**image_limits: Any) -> dict[str, Any]:
    spec = copy.deepcopy(load_resolved_spec())
    request_schema_of(spec)["x-kling-constraints"]["image"].update(image_limits)
    return spec


# --- the image ----------------------------------------------------------------------


def test_a_valid_base64_png_is_accepted(api: Api, request_body, png) -> None:
    task = api.created(request_body(image=b64(png(400, 300))))

    assert task["task_status"] == "submitted"


def test_a_valid_base64_jpeg_is_accepted(api: Api, request_body) -> None:
    jpeg = encode(picture(320, 400), "JPEG")

    assert api.create(request_body(image=b64(jpeg))).status_code == 200


@pytest.mark.parametrize(
    "fmt, data",
    [
        ("gif", encode(picture(400, 300).convert("P"), "GIF")),
        ("webp", encode(picture(400, 300), "WEBP")),
        ("bmp", encode(picture(400, 300), "BMP")),
        ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"></svg>'),
    ],
)
def test_an_unsupported_format_is_refused_by_name(api: Api, request_body, fmt: str, data) -> None:
    response = api.create(request_body(image=b64(data)))

    assert_refused(response, 400, 1201, C.image_field, fmt, *C.image_formats)


def test_a_side_below_the_minimum_is_refused(api: Api, request_body, png) -> None:
    small = C.image_min_side - 1

    response = api.create(request_body(image=b64(png(small, C.image_min_side))))

    assert_refused(response, 400, 1201, C.image_field, "min_side_px", str(C.image_min_side))


def test_an_aspect_outside_the_range_is_refused(api: Api, request_body, png) -> None:
    height = C.image_min_side
    width = int(height * C.aspect_max) + 1

    response = api.create(request_body(image=b64(png(width, height))))

    assert_refused(response, 400, 1201, "aspect_ratio", C.aspect_max_text, C.aspect_min_text)


def test_an_image_over_max_bytes_is_refused(make_api, request_body, png) -> None:
    image = png(400, 300)
    limit = len(image) - 1
    api = make_api(MockKling(spec=spec_with(max_bytes=limit)))

    response = api.create(request_body(image=b64(image)))

    assert_refused(response, 400, 1201, C.image_field, "max_bytes", str(limit))


def test_the_limits_follow_the_spec_handed_to_the_mock(make_api, request_body, png) -> None:
    raised = C.image_min_side + 100
    strict = make_api(MockKling(spec=spec_with(min_side_px=raised)))
    image = b64(png(C.image_min_side + 50, C.image_min_side + 50))

    assert make_api(MockKling()).create(request_body(image=image)).status_code == 200
    assert_refused(strict.create(request_body(image=image)), 400, 1201, str(raised))


def test_a_data_uri_prefix_is_refused(api: Api, request_body, png) -> None:
    response = api.create(request_body(image="data:image/png;base64," + b64(png())))

    assert_refused(response, 400, 1201, C.image_field, "data:")


@pytest.mark.parametrize("text", ["not base64 at all!", "QUJ", "@@@@"])
def test_invalid_base64_is_refused(api: Api, request_body, text: str) -> None:
    assert_refused(api.create(request_body(image=text)), 400, 1201, C.image_field, "base64")


def test_non_image_bytes_are_refused(api: Api, request_body) -> None:
    response = api.create(request_body(image=b64(b"hello, this is plain text" * 20)))

    assert_refused(response, 400, 1201, C.image_field, "not an image")


def test_a_truncated_png_is_refused(api: Api, request_body, png) -> None:
    data = png()

    response = api.create(request_body(image=b64(data[: len(data) // 2])))

    assert_refused(response, 400, 1201, C.image_field, "truncated")


def test_a_corrupt_png_is_refused(api: Api, request_body, png) -> None:
    data = bytearray(png())
    data[len(data) // 2] ^= 0xFF

    assert_refused(api.create(request_body(image=b64(bytes(data)))), 400, 1201, C.image_field)


def test_a_truncated_jpeg_is_refused(api: Api, request_body) -> None:
    data = encode(picture(400, 300), "JPEG")

    response = api.create(request_body(image=b64(data[: len(data) // 2])))

    assert_refused(response, 400, 1201, C.image_field, "truncated")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_a_decompression_bomb_is_refused_without_decoding(make_mock, make_api, request_body):
    # A well-formed PNG whose header claims 50000x50000: decoding it would need 7.5 GB.
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + _chunk(b"IEND", b"")
    )
    mock = make_mock()
    api = make_api(mock)

    response = api.create(request_body(image=b64(bomb)))

    assert_refused(response, 400, 1201, "50000x50000", str(mock.config.max_source_pixels))


def test_an_undecodable_png_is_refused_with_a_message_free_of_object_addresses(
    api: Api, request_body
) -> None:
    # A well-formed PNG with a colour type PNG does not define: Pillow names its buffer
    side = C.image_min_side
    header = struct.pack(">IIBBBBB", side, side, 8, 7, 0, 0, 0)
    odd = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IEND", b"")

    response = api.create(request_body(image=b64(odd)))

    assert_refused(response, 400, 1201, C.image_field, "cannot be decoded")
    assert " at 0x" not in response.json()["message"]


# --- the other fields -------------------------------------------------------------------


@pytest.mark.parametrize("name", C.ratio_fields)
def test_a_ratio_out_of_range_names_the_field_and_the_limit(api: Api, request_body, name) -> None:
    bound = C.ratio_bounds[name]

    response = api.create(request_body(**{name: bound.maximum + 0.5}))

    assert_refused(response, 400, 1201, name, f"{bound.maximum:g}")


def test_an_area_over_the_limit_is_refused(api: Api, request_body) -> None:
    up, down = C.vertical_fields
    left, right = C.horizontal_fields
    ratios = {up: 0.5, down: 0.5, left: 0.5, right: 0.5}  # (2 * 2) = 4 times the area
    assert C.area_factor_of(ratios) > C.max_area_factor

    response = api.create(request_body(**ratios))

    assert_refused(response, 400, 1201, "max_area_factor", f"{C.max_area_factor:g}")


def test_n_follows_json_schema_integer_semantics(api: Api, request_body) -> None:
    top = int(C.n_bound.maximum)
    assert api.create(request_body(n=float(top))).status_code == 200
    assert_refused(api.create(request_body(n=top + 1)), 400, 1201, "n", str(top))
    assert_refused(api.create(request_body(n=1.5)), 400, 1201, "n")


def test_a_prompt_over_its_length_is_refused(api: Api, request_body) -> None:
    limit = C.prompt_max_length
    assert api.create(request_body(prompt="x" * limit)).status_code == 200

    response = api.create(request_body(prompt="x" * (limit + 1)))

    assert_refused(response, 400, 1201, C.prompt_field)


@pytest.mark.parametrize("missing", C.required_fields)
def test_a_missing_required_field_is_named(api: Api, request_body, missing: str) -> None:
    body = request_body()
    del body[missing]

    assert_refused(api.create(body), 400, 1201, missing, "required")


@pytest.mark.parametrize("name, value", [("up_expansion_ratio", "0.1"), ("n", "2"), ("image", 7)])
def test_a_wrong_type_is_refused(api: Api, request_body, name: str, value: Any) -> None:
    assert_refused(api.create(request_body(**{name: value})), 400, 1201, name)


def test_unknown_fields_are_ignored_as_the_schema_allows(api: Api, request_body) -> None:
    # The request schema does not forbid additional properties, so neither does the mock.
    task = api.created(request_body(colour="blue", nested={"a": [1, 2]}))

    assert "colour" not in task and "nested" not in task


def test_unknown_fields_can_be_refused_to_catch_typos(make_mock, make_api, request_body) -> None:
    api = make_api(make_mock(reject_unknown_fields=True))

    response = api.create(request_body(promt="a typo"))

    assert_refused(response, 400, 1201, "promt", C.prompt_field)
    assert api.create(request_body(prompt="spelled right")).status_code == 200


# --- the body itself --------------------------------------------------------------------


def post_raw(api: Api, content: bytes, content_type: str = "application/json") -> Any:
    headers = {**AUTH, "Content-Type": content_type}
    return api.http.post(CREATE_PATH, content=content, headers=headers)


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"image": }', b"\xff\xfe\x00garbage", b"[" * 100_000, b'{"n": 1} trailing'],
    ids=["unclosed", "missing value", "not utf-8", "deep nesting", "trailing data"],
)
def test_malformed_json_is_refused_as_malformed(api: Api, raw: bytes) -> None:
    assert_refused(post_raw(api, raw), 400, 1200, "JSON")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "latin-1"])
def test_a_body_not_encoded_as_utf_8_is_refused(api: Api, request_body, encoding: str) -> None:
    raw = json.dumps(request_body(prompt="café"), ensure_ascii=False).encode(encoding)

    message = assert_refused(post_raw(api, raw), 400, 1200, "UTF-8")

    assert "JSON" in message


def test_a_utf_8_body_with_a_byte_order_mark_is_accepted(api: Api, request_body) -> None:
    raw = json.dumps(request_body(prompt="café"), ensure_ascii=False).encode("utf-8-sig")

    assert post_raw(api, raw).status_code == 200


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused(api: Api, request_body, token: str) -> None:
    name = C.ratio_fields[0]
    raw = json.dumps(request_body(**{name: "PLACEHOLDER"})).replace('"PLACEHOLDER"', token)

    assert_refused(post_raw(api, raw.encode()), 400, 1200, "JSON")


@pytest.mark.parametrize("field", ["n", C.ratio_fields[0], "watermark_info"])
@pytest.mark.parametrize("sign", ["", "-"])
def test_an_integer_of_thousands_of_digits_is_a_bad_value_of_its_field(
    api: Api, request_body, field: str, sign: str
) -> None:
    raw = json.dumps(request_body(**{field: "PLACEHOLDER"}))
    raw = raw.replace('"PLACEHOLDER"', sign + "7" * 5000)

    message = assert_refused(post_raw(api, raw.encode()), 400, 1201, field, "5000 digits")

    assert "Exceeds the limit" not in message and len(message) < 200


def test_an_empty_body_is_refused(api: Api) -> None:
    assert_refused(post_raw(api, b""), 400, 1200, "empty")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_json_by_content_type_is_refused(api: Api, content_type: str) -> None:
    response = post_raw(api, b'{"n": 1}', content_type)

    assert_refused(response, 400, 1200, "Content-Type", "application/json")


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null"])
def test_a_body_that_is_not_an_object_is_refused(api: Api, raw: bytes) -> None:
    assert_refused(post_raw(api, raw), 400, 1200, "JSON object")


@pytest.mark.asyncio
async def test_a_body_over_the_limit_is_refused_with_413_before_being_read(make_mock) -> None:
    mock = make_mock(max_body_bytes=1000)
    sent: list[int] = []

    async def chunks():  # no Content-Length: the mock must stop reading on its own
        for _ in range(1000):
            sent.append(1)
            yield b" " * 500

    async with mock.async_client() as client:
        response = await client.post(
            CREATE_PATH, content=chunks(), headers={"Content-Type": "application/json"}
        )

    assert_refused(response, 413, 1200, "max_body_bytes", "1000")
    assert len(sent) < 10  # stopped after the limit, not after 500 kB


def test_a_declared_length_over_the_limit_is_refused_at_once(make_mock, make_api) -> None:
    api = make_api(make_mock(max_body_bytes=1000))

    assert_refused(post_raw(api, b" " * 1001), 413, 1200, "max_body_bytes")


def test_the_default_body_limit_admits_the_largest_valid_image(mock: MockKling) -> None:
    largest_base64 = 4 * -(-C.image_max_bytes // 3)

    assert largest_base64 < mock.service.max_body_bytes < 2 * largest_base64


def test_the_longest_prompt_fits_the_body_limit_fully_escaped(make_api, request_body) -> None:
    # Given a spec whose prompt may be four times as long as the published one, and whose
    # images are tiny, so the body limit is all the other fields' room (a URL image is used)
    longest = 4 * C.prompt_max_length
    spec = spec_with(max_bytes=1)
    request_schema_of(spec)["properties"][C.prompt_field]["maxLength"] = longest
    request_schema_of(spec)["x-kling-constraints"]["prompt"]["max_length"] = longest
    api = make_api(MockKling(spec=spec))
    # And a prompt at that length whose every character JSON writes as two escapes
    raw = json.dumps(request_body(prompt=chr(0x1F600) * longest)).encode()

    response = post_raw(api, raw)

    # Then the body limit, derived from the spec, has room for it
    assert response.status_code == 200, response.text


def test_constraints_are_read_once_at_start_up(mock: MockKling) -> None:
    assert mock.service.constraints == ExpandConstraints.from_spec()


def test_a_spec_without_the_constraints_fails_at_start_up() -> None:
    spec = copy.deepcopy(load_resolved_spec())
    schema = request_schema_of(spec)
    assert isinstance(schema, dict)
    del schema["x-kling-constraints"]

    with pytest.raises(SpecError, match="constraints"):
        MockKling(spec=spec)


def test_a_callback_url_that_is_no_uri_is_refused(api: Api, request_body) -> None:
    for value in ["", "not a url", "/relative/path"]:
        response = api.create(request_body(callback_url=value))

        assert (response.status_code, response.json()["code"]) == (400, 1201)
        assert "callback_url" in response.json()["message"]


def test_an_absolute_callback_url_is_accepted(api: Api, request_body) -> None:
    assert api.create(request_body(callback_url="https://hooks.example.com/k")).status_code == 200
