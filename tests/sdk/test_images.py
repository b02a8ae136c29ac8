"""Image inputs, checks before the network, the aspect helper and the before/after sheet."""

from __future__ import annotations

import base64
import copy
import io
import os
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from kling_expand import (
    InputValidationError,
    Ratios,
    canvas_geometry,
    compose_before_after,
    prepare_image,
    ratios_for_aspect,
    ratios_for_canvas,
)
from kling_spec import ExpandConstraints, load_resolved_spec

from .conftest import CREATE_URL

LIMITS = ExpandConstraints.from_spec()


# --- inputs ---------------------------------------------------------------------


@pytest.mark.parametrize("form", ["path", "str-path", "bytes", "pil", "base64", "data-uri"])
def test_every_input_form_is_sent_as_raw_base64_of_a_real_image(form, make_image, tmp_path):
    data = make_image(400, 300)
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    encoded = base64.b64encode(data).decode()
    given = {
        "path": path,
        "str-path": str(path),
        "bytes": data,
        "pil": Image.open(io.BytesIO(data)),  # in memory: nothing to close
        "base64": encoded,
        "data-uri": "data:image/png;base64," + encoded,
    }[form]
    prepared = prepare_image(given)
    assert not prepared.wire.startswith("data:")
    decoded = Image.open(io.BytesIO(base64.b64decode(prepared.wire)))
    assert decoded.size == (400, 300)
    assert prepared.info is not None
    assert (prepared.info.format, prepared.info.width, prepared.info.height) == ("png", 400, 300)


def test_a_url_is_sent_as_the_url_and_not_fetched():
    prepared = prepare_image("https://img.test/photo.jpg")
    assert prepared.wire == "https://img.test/photo.jpg" and prepared.is_url


@pytest.mark.parametrize(
    ("size", "fmt", "names"),
    [
        ((LIMITS.image_min_side - 1, 400), "PNG", ["min_side_px", str(LIMITS.image_min_side)]),
        ((1000, 300), "PNG", ["aspect_ratio", LIMITS.aspect_max_text]),
        ((400, 400), "GIF", ["gif", "formats"]),
    ],
    ids=["too-small", "too-wide", "gif"],
)
def test_an_image_the_service_would_refuse_is_refused_locally_naming_the_limit(
    make_image, size, fmt, names
):
    with pytest.raises(InputValidationError) as caught:
        prepare_image(make_image(*size, fmt=fmt))
    assert caught.value.field == LIMITS.image_field
    assert isinstance(caught.value, ValueError)
    for name in names:
        assert name in str(caught.value)


def test_a_file_over_the_byte_limit_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "big.png"
    with big.open("wb") as stream:
        stream.truncate(LIMITS.image_max_bytes + 1)
    with pytest.raises(InputValidationError, match=str(LIMITS.image_max_bytes)):
        prepare_image(big)


@pytest.mark.parametrize(
    "name", ["photos/missing.jpg", "missing.png", "C:\\photos\\beach", "{folder}/missing"]
)
def test_a_file_name_that_names_no_file_is_refused_as_a_missing_file(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = name.format(folder=tmp_path)
    with pytest.raises(InputValidationError) as caught:
        prepare_image(text)
    assert caught.value.field == LIMITS.image_field
    assert f"the file {text} does not exist" in str(caught.value)
    assert "base64" not in str(caught.value)


def test_a_folder_given_as_the_image_is_refused_as_no_file(tmp_path):
    with pytest.raises(InputValidationError, match="is not a file"):
        prepare_image(str(tmp_path))


@pytest.mark.parametrize("scheme", ["HTTPS", "Https", "HTTP"])
def test_a_url_with_its_scheme_in_capitals_is_a_url_sent_in_lower_case(scheme):
    prepared = prepare_image(f"{scheme}://img.test/Photo.JPG")
    assert prepared.is_url
    assert prepared.wire == f"{scheme.lower()}://img.test/Photo.JPG"


@pytest.mark.parametrize(
    "wrap",
    [
        lambda data: base64.encodebytes(data).decode(),
        lambda data: base64.encodebytes(data).decode().replace("\n", "\r\n"),
        lambda data: "data:image/png;base64,\n" + base64.encodebytes(data).decode(),
        lambda data: " ".join(textwrap.wrap(base64.b64encode(data).decode(), 64)),
    ],
    ids=["lines", "crlf", "data-uri", "spaces"],
)
def test_base64_wrapped_in_white_space_is_the_same_base64(make_image, wrap):
    data = make_image(400, 300)
    prepared = prepare_image(wrap(data))
    assert prepared.wire == base64.b64encode(data).decode()
    assert prepared.data == data and prepared.info is not None
    assert (prepared.info.width, prepared.info.height) == (400, 300)


@pytest.mark.parametrize("text", ["not an image at all", "aGVsbG8gd29ybGQ="])
def test_text_that_is_neither_url_file_nor_image_base64_is_refused(text):
    with pytest.raises(InputValidationError) as caught:
        prepare_image(text)
    assert caught.value.field == LIMITS.image_field


# --- checks on the whole request, from the spec the client was given ------------------


UP_MAX = LIMITS.ratio_bounds["up_expansion_ratio"].maximum
HALF_AREA = (LIMITS.max_area_factor - 1) / 2


@pytest.mark.parametrize(
    ("params", "field", "limit"),
    [
        ({"up": UP_MAX + 0.5}, "up_expansion_ratio", f"the maximum is {UP_MAX:g}"),
        ({"up": 0.1, "left": HALF_AREA, "right": HALF_AREA}, "expansion", "max_area_factor"),
        ({"up": 0.1, "n": int(LIMITS.n_bound.minimum) - 1}, "n", "minimum"),
        ({"up": 0.1, "n": int(LIMITS.n_bound.maximum) + 1}, "n", "maximum"),
        (
            {"up": 0.1, "prompt": "x" * (LIMITS.prompt_max_length + 1)},
            "prompt",
            f"{LIMITS.prompt_max_length + 1} characters long; the maxLength is "
            f"{LIMITS.prompt_max_length}",
        ),
    ],
    ids=["ratio", "area", "n-low", "n-high", "prompt"],
)
def test_a_request_the_spec_refuses_raises_before_anything_is_sent(
    client, router, params, field, limit
):
    route = router.post(CREATE_URL)
    with pytest.raises(InputValidationError) as caught:
        client.submit("https://img.test/a.jpg", **params)
    assert caught.value.field == field and limit in str(caught.value)
    assert not route.called


def test_the_limits_follow_the_spec_handed_to_the_client(make_client, router, envelope):
    # Given a spec whose area limit is raised from the shipped one
    spec = copy.deepcopy(load_resolved_spec())
    request = spec["components"]["schemas"]["ExpandImageRequest"]
    request["x-kling-constraints"]["expansion"]["max_area_factor"] = 5
    client = make_client(spec=spec)
    router.post(CREATE_URL).respond(json=envelope())
    # Then a request over the shipped limit but within the new one is sent
    assert client.submit("https://img.test/a.jpg", up=1, down=1, left=0.5).id


def test_ratios_given_two_ways_at_once_are_refused(client):
    with pytest.raises(TypeError, match="one way"):
        client.submit("https://img.test/a.jpg", up=0.1, aspect="16:9")


def test_an_aspect_for_a_url_is_an_input_error_naming_aspect(client):
    with pytest.raises(InputValidationError) as caught:
        client.submit("https://img.test/a.jpg", aspect="16:9")
    assert caught.value.field == "aspect"


# --- choosing ratios ------------------------------------------------------------------


@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1", "21:9", "4:5"])
@pytest.mark.parametrize("size", [(1200, 900), (900, 1600), (1000, 1000)])
@pytest.mark.parametrize("anchor", ["center", "top-left", "bottom"])
def test_ratios_for_aspect_reach_the_aspect_within_every_limit(aspect, size, anchor):
    target = Fraction(aspect.replace(":", "/"))
    # Growing only one side as little as possible costs this much area:
    least_area = max(target * size[1] / size[0], size[0] / (target * size[1]))
    if least_area > LIMITS.max_area_factor:
        with pytest.raises(InputValidationError, match="cannot be reached"):
            ratios_for_aspect(size, aspect, anchor=anchor)
        return
    ratios = ratios_for_aspect(size, aspect, anchor=anchor)
    width, height, _, _ = canvas_geometry(size[0], size[1], ratios)
    assert width / height == pytest.approx(float(Fraction(aspect.replace(":", "/"))), rel=2e-3)
    assert LIMITS.area_ok(ratios.as_fields())
    for name, value in ratios.as_fields().items():
        assert LIMITS.ratio_bounds[name].contains(value)


def test_the_largest_canvas_uses_the_whole_area_allowance():
    ratios = ratios_for_aspect((1000, 1000), "1:1")
    assert float(LIMITS.area_factor_of(ratios.as_fields())) == pytest.approx(
        LIMITS.max_area_factor, rel=1e-3
    )


def test_the_anchor_keeps_the_original_where_it_was_asked():
    ratios = ratios_for_aspect((1200, 900), "21:9", anchor="left", fill="min")
    assert ratios.left == 0 and ratios.right > 0 and ratios.up == ratios.down == 0
    ratios = ratios_for_aspect((1200, 900), "1:1", anchor="bottom-right")
    assert ratios.down == 0 and ratios.right == 0 and ratios.up > 0


def test_an_aspect_out_of_reach_is_refused_naming_it():
    with pytest.raises(InputValidationError, match="8:1") as caught:
        ratios_for_aspect((1000, 1000), "8:1")
    assert caught.value.field == "aspect"


NOT_ASPECTS = ["0:9", "-16:9", "16:0", "nan:1", "inf:1", "16", "16:9:1", "", (16, 0), (-4, 3)]


@pytest.mark.parametrize("aspect", NOT_ASPECTS, ids=repr)
def test_an_aspect_that_is_not_two_positive_numbers_is_an_input_error_naming_it(aspect):
    with pytest.raises(InputValidationError) as caught:
        ratios_for_aspect((1000, 1000), aspect)
    assert caught.value.field == "aspect" and repr(aspect) in str(caught.value)


@pytest.mark.parametrize("aspect", ["1e400:1", "1:1e400", "1e-400:1"])
def test_an_aspect_beyond_float_range_is_out_of_reach_not_a_crash(aspect):
    with pytest.raises(InputValidationError, match="cannot be reached") as caught:
        ratios_for_aspect((1000, 1000), aspect)
    assert caught.value.field == "aspect" and aspect in str(caught.value)


@pytest.mark.parametrize(
    "helper",
    [
        lambda anchor: ratios_for_aspect((1000, 1000), "16:9", anchor=anchor),
        lambda anchor: ratios_for_canvas((1000, 1000), (1200, 1000), anchor=anchor),
    ],
    ids=["aspect", "canvas"],
)
def test_an_unknown_anchor_is_an_input_error_naming_it(helper):
    with pytest.raises(InputValidationError) as caught:
        helper("middle")
    assert caught.value.field == "anchor" and "'middle'" in str(caught.value)


def test_ratios_for_aspect_reads_the_size_of_a_real_image(make_image):
    assert ratios_for_aspect(make_image(800, 600), "16:9", fill="min") == ratios_for_aspect(
        (800, 600), "16:9", fill="min"
    )


def test_ratios_for_canvas_grow_to_the_exact_canvas():
    ratios = ratios_for_canvas((800, 600), (1200, 900), anchor="top-left")
    assert canvas_geometry(800, 600, ratios) == (1200, 900, 0, 0)
    with pytest.raises(InputValidationError):
        ratios_for_canvas((800, 600), (4000, 600))


# --- before / after ---------------------------------------------------------------------


def test_the_before_after_sheet_outlines_the_original_in_the_result(make_image, tmp_path):
    original = make_image(400, 300)
    ratios = Ratios(left=0.5, right=0.5)
    canvas_w, canvas_h, x, y = canvas_geometry(400, 300, ratios)
    expanded = Image.new("RGB", (canvas_w, canvas_h), (20, 120, 20))
    out = compose_before_after(original, expanded, ratios, tmp_path / "sheet.png", height=300)
    with Image.open(out) as opened:
        sheet = opened.convert("RGB")
    assert out.suffix == ".png"
    # 400x300 original at height 300, a gap, then the 800x300 result
    assert sheet.width > 400 + 800
    right_panel_left = sheet.width - 800
    outline = sheet.getpixel((right_panel_left + x + 1, 32 + 150))
    outside = sheet.getpixel((right_panel_left + 50, 32 + 150))
    assert outline == (255, 0, 64) and outside == (20, 120, 20)


@given(
    width=st.integers(LIMITS.image_min_side, 4000),
    height=st.integers(LIMITS.image_min_side, 4000),
    aspect_w=st.integers(1, 30),
    aspect_h=st.integers(1, 30),
    anchor=st.sampled_from(["center", "top", "bottom-right", "left"]),
    fill=st.sampled_from(["max", "min"]),
)
def test_ratios_for_aspect_are_valid_or_refused_for_any_image_and_aspect(
    width, height, aspect_w, aspect_h, anchor, fill
):
    try:
        ratios = ratios_for_aspect((width, height), (aspect_w, aspect_h), anchor=anchor, fill=fill)
    except InputValidationError:
        least = max(aspect_w * height / (aspect_h * width), aspect_h * width / (aspect_w * height))
        assert least > LIMITS.max_area_factor * 0.999
        return
    fields = ratios.as_fields()
    assert LIMITS.area_ok(fields)
    assert all(LIMITS.ratio_bounds[name].contains(value) for name, value in fields.items())
    canvas_w, canvas_h, _, _ = canvas_geometry(width, height, ratios)
    assert canvas_w / canvas_h == pytest.approx(aspect_w / aspect_h, rel=0.01)


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_any_text_or_bytes_is_an_image_or_a_clear_input_error(value):
    try:
        prepared = prepare_image(value)
    except InputValidationError as error:
        assert error.field == LIMITS.image_field
        return
    assert prepared.is_url or prepared.info is not None


def test_a_callback_url_that_is_no_uri_is_refused_locally(client, router):
    route = router.post(CREATE_URL)
    with pytest.raises(InputValidationError, match="callback_url"):
        client.submit("https://img.test/a.jpg", up=0.1, callback_url="not a url")
    assert not route.called


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
@pytest.mark.parametrize("as_text", [False, True])
def test_only_a_regular_file_is_read_anything_else_is_refused_naming_its_path(
    kind, as_text, tmp_path
):
    if kind == "folder":
        path = tmp_path
    elif kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    with pytest.raises(InputValidationError, match="is not a file") as caught:
        prepare_image(str(path) if as_text else path)
    assert str(path) in str(caught.value)
    assert caught.value.field == LIMITS.image_field


def test_a_file_that_grows_past_the_limit_after_its_size_was_taken_is_refused(
    tmp_path, monkeypatch
):
    grown = tmp_path / "grown.png"
    grown.write_bytes(b"x" * (LIMITS.image_max_bytes + 5))
    real_stat, real_fstat = os.stat, os.fstat

    def small(result: os.stat_result) -> os.stat_result:  # the size seen before it grew
        values = list(result)
        values[6] = 10
        return os.stat_result(values)

    monkeypatch.setattr(os, "stat", lambda *a, **k: small(real_stat(*a, **k)))
    monkeypatch.setattr(os, "fstat", lambda fd: small(real_fstat(fd)))
    with pytest.raises(
        InputValidationError, match=f"maximum \\(max_bytes\\) of {LIMITS.image_max_bytes}"
    ):
        prepare_image(grown)
