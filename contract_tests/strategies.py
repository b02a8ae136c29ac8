"""Hypothesis strategies for create requests, every bound read from the spec they are given.

Nothing here knows a number from the spec: give :func:`request_cases` the
:class:`SpecBounds` of a modified spec copy and it draws around the new bounds.
:func:`boundary_cases` names the cases a property must always try (each limit,
exactly and just past it); :func:`pin_boundaries` pins them with ``@example``.
"""

from __future__ import annotations

import base64
import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, TypeVar

from hypothesis import example
from hypothesis import strategies as st

from .images import ImageSpec
from .oracle import SpecBounds

URL_IMAGE = "https://images.test/source.png"
# Not an image the spec allows: a format outside x-kling-constraints.image.formats.
FOREIGN_FORMAT = "gif"
# Strings that are neither an http(s) URL nor valid raw base64.
BAD_IMAGE_TEXTS = ("data:image/png;base64,iVBORw0KGgo=", "not base64 at all!", "")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class RequestCase:
    """One create request: its JSON fields and the image it carries (None: left out).

    ``on_a_limit`` is set on boundary cases only: whether the spec accepts the case
    (True for a limit exactly, False just past it), known from how it was built.
    """

    label: str
    fields: Mapping[str, Any] = field(repr=False)
    image_field: str
    # An ImageSpec is encoded as base64; anything else (a URL, broken text, a number
    # where text belongs) is sent as it is, as an untyped client could.
    image: ImageSpec | str | int | bytes | None
    on_a_limit: bool | None = field(default=None, compare=False)

    @property
    def image_spec(self) -> ImageSpec:
        """The image this case encodes (for cases built with one)."""
        assert isinstance(self.image, ImageSpec), f"{self.label} carries no ImageSpec"
        return self.image

    def body(self) -> dict[str, Any]:
        body = dict(self.fields)
        if isinstance(self.image, ImageSpec):
            body[self.image_field] = self.image.base64()
        elif self.image is not None:
            body[self.image_field] = self.image
        return body

    def with_fields(self, label: str, **changes: Any) -> RequestCase:
        return RequestCase(label, {**self.fields, **changes}, self.image_field, self.image)

    def with_image(self, label: str, image: ImageSpec | str | int | bytes | None) -> RequestCase:
        return RequestCase(label, self.fields, self.image_field, image)

    def without(self, name: str) -> RequestCase:
        if name == self.image_field:
            return self.with_image(f"without {name}", None)
        fields = {k: v for k, v in self.fields.items() if k != name}
        return RequestCase(f"without {name}", fields, self.image_field, self.image)

    def pinned(self, on_a_limit: bool) -> RequestCase:
        return dataclasses.replace(self, on_a_limit=on_a_limit)

    def __repr__(self) -> str:
        return f"RequestCase({self.label!r}, {dict(self.fields)!r}, image={self.image!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints falsifying examples with this hook.
        printer.text(repr(self))


# --- images -----------------------------------------------------------------


def shape_at(ratio: Fraction, min_side: int) -> tuple[int, int]:
    """The smallest width x height with exactly ``ratio`` and both sides at least ``min_side``."""
    scale = -(-min_side // min(ratio.numerator, ratio.denominator))
    return ratio.numerator * scale, ratio.denominator * scale


def boundary_shapes(bounds: SpecBounds) -> dict[str, tuple[tuple[int, int], bool]]:
    """Image sizes on (True) and just past (False) each size limit."""
    side = bounds.min_side
    wide_w, wide_h = shape_at(bounds.aspect_max, side)
    tall_w, tall_h = shape_at(bounds.aspect_min, side)
    return {
        "side at min_side_px": ((side, side), True),
        "width one under min_side_px": ((side - 1, side), False),
        "height one under min_side_px": ((side, side - 1), False),
        "aspect at its max": ((wide_w, wide_h), True),
        "aspect just over its max": ((wide_w + 1, wide_h), False),
        "aspect at its min": ((tall_w, tall_h), True),
        "aspect just under its min": ((tall_w, tall_h + 1), False),
    }


@st.composite
def image_specs(draw: st.DrawFn, bounds: SpecBounds) -> ImageSpec:
    """A real image's format and size: mostly allowed, sometimes on or past a limit."""
    kind = draw(st.sampled_from([*sorted(bounds.formats), FOREIGN_FORMAT]))
    edges = [size for size, _ in boundary_shapes(bounds).values()]
    short = draw(st.integers(bounds.min_side - 2, bounds.min_side + 40))
    long_max = math.ceil(short * max(bounds.aspect_max, 1 / bounds.aspect_min)) + 2
    free = st.tuples(st.integers(short, long_max), st.just(short)).flatmap(
        lambda wh: st.sampled_from([wh, wh[::-1]])
    )
    width, height = draw(st.sampled_from(edges) | free)
    return ImageSpec(kind, width, height)


def image_values(bounds: SpecBounds, *, typed: bool = False) -> st.SearchStrategy[Any]:
    """What the ``image`` field may hold: a real image, or (untyped) a URL, text that is
    neither, or not text at all."""
    if typed:
        return image_specs(bounds)
    return image_specs(bounds) | st.sampled_from([*BAD_IMAGE_TEXTS, URL_IMAGE, 12345])


# --- scalar fields ------------------------------------------------------------


def ratio_values(bounds: SpecBounds, name: str, *, typed: bool = False) -> st.SearchStrategy[Any]:
    """Numbers in, on and past the field's range; untyped, also values that are not numbers."""
    low, high = float(bounds.ratio_min[name]), bounds.ratio_max_written[name]
    numbers = st.one_of(
        st.sampled_from(
            [low, high, math.nextafter(high, math.inf), math.nextafter(low, -math.inf)]
        ),
        st.floats(low, high),
        st.integers(math.ceil(low), math.floor(high)),
        st.integers(0, round(high * 100)).map(lambda k: k / 100),
        st.floats(high, high * 2 + 1, exclude_min=True),
        st.floats(low - 2, low, exclude_max=True),
    )
    return numbers if typed else numbers | st.sampled_from(["0.5", None, True])


def n_values(bounds: SpecBounds, *, typed: bool = False) -> st.SearchStrategy[Any]:
    """Integers in, on and past the range; untyped, also integral floats and non-integers."""
    integers = st.integers(bounds.n_min - 2, bounds.n_max + 2)
    if typed:
        return integers
    integral_floats = st.integers(bounds.n_min, bounds.n_max).map(float)
    return integers | integral_floats | st.sampled_from([1.5, "2", True])


def prompt_values(bounds: SpecBounds, *, typed: bool = False) -> st.SearchStrategy[Any]:
    """Prompts of any length up to one past the limit, counted in code points."""
    limit = bounds.prompt_max
    lengths = st.sampled_from([0, limit, limit + 1]) | st.integers(0, limit + 1)
    seeds = st.text(min_size=1, max_size=6)
    texts = st.builds(lambda seed, n: (seed * n)[:n], seeds, lengths)
    return texts if typed else texts | st.just(None)


# URIs and strings that are not (RFC 3986: a scheme is required, ASCII only).
CALLBACK_URLS = (
    "https://hooks.test/kling",
    "http://127.0.0.1:9/cb?task=1#x",
    "urn:kling:callback",
    "",
    "no scheme",
    "hooks.test/kling",
    "https://hooks.test/a b",
    "https://hooks.test/\u00e9",
)


def callback_urls() -> st.SearchStrategy[str]:
    return st.sampled_from(CALLBACK_URLS)


def optional_extras(bounds: SpecBounds) -> st.SearchStrategy[dict[str, Any]]:
    """Optional fields the spec allows (and one it does not name, which it does not forbid)."""
    return st.fixed_dictionaries(
        {},
        optional={
            bounds.watermark_field: st.fixed_dictionaries(
                {bounds.watermark_enabled_field: st.booleans()}
            ),
            bounds.external_task_id_field: st.text(min_size=1, max_size=20),
            bounds.callback_field: callback_urls(),
            "x_unknown_extra": st.integers(),
        },
    )


# --- whole requests -------------------------------------------------------------


@st.composite
def request_cases(draw: st.DrawFn, bounds: SpecBounds, *, typed: bool = False) -> RequestCase:
    """Any create request around the spec's bounds: an accepted one with up to three fields
    replaced by anything near (or past) their limits, or dropped.

    ``typed`` keeps to what a typed client can say: numbers for the ratios, an
    integer ``n``, a string prompt, a real image, every required field present.
    """
    case = draw(valid_request_cases(bounds))
    replacements = {name: ratio_values(bounds, name, typed=typed) for name in bounds.ratio_fields}
    replacements[bounds.n_field] = n_values(bounds, typed=typed)
    replacements[bounds.prompt_field] = prompt_values(bounds, typed=typed)
    replacements[bounds.image_field] = image_values(bounds, typed=typed)
    replacements[bounds.callback_field] = callback_urls()
    choices = sorted(replacements) + ([] if typed else ["drop"])
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(choices))
        if name == "drop":
            case = case.without(draw(st.sampled_from(bounds.required)))
        elif name == bounds.image_field:
            case = RequestCase("drawn", case.fields, case.image_field, draw(replacements[name]))
        else:
            case = case.with_fields("drawn", **{name: draw(replacements[name])})
    return case if typed else case.with_fields(case.label, **draw(optional_extras(bounds)))


@st.composite
def valid_request_cases(draw: st.DrawFn, bounds: SpecBounds) -> RequestCase:
    """Requests the spec accepts: ratios in hundredths within the bounds and the area limit,
    ``n`` anywhere in its range."""
    v_low, v_high = _ratio_range(bounds, bounds.vertical)
    h_low, h_high = _ratio_range(bounds, bounds.horizontal)
    vertical_top = min(
        sum(v_high, Fraction(0)), bounds.max_area_factor / (1 + sum(h_low, Fraction(0))) - 1
    )
    vertical = draw(_split_hundredths(vertical_top, v_low, v_high))
    horizontal_top = min(
        sum(h_high, Fraction(0)), bounds.max_area_factor / (1 + sum(vertical, Fraction(0))) - 1
    )
    horizontal = draw(_split_hundredths(horizontal_top, h_low, h_high))
    fields: dict[str, Any] = {
        name: float(value)
        for name, value in zip(
            bounds.vertical + bounds.horizontal, vertical + horizontal, strict=True
        )
    }
    fields[bounds.n_field] = draw(st.integers(bounds.n_min, bounds.n_max))
    seed = draw(st.text(min_size=1, max_size=6))
    length = draw(st.integers(0, bounds.prompt_max))
    fields[bounds.prompt_field] = (seed * length)[:length]
    short = draw(st.integers(bounds.min_side, bounds.min_side + 50))
    if draw(st.booleans()):  # landscape
        width, height = draw(st.integers(short, math.floor(short * bounds.aspect_max))), short
    else:
        width, height = short, draw(st.integers(short, math.floor(short / bounds.aspect_min)))
    kind = draw(st.sampled_from(sorted(bounds.formats)))
    return RequestCase("valid", fields, bounds.image_field, ImageSpec(kind, width, height))


def _ratio_range(
    bounds: SpecBounds, names: tuple[str, str]
) -> tuple[list[Fraction], list[Fraction]]:
    return [bounds.ratio_min[n] for n in names], [bounds.ratio_max[n] for n in names]


@st.composite
def _split_hundredths(
    draw: st.DrawFn, top: Fraction, lows: list[Fraction], caps: list[Fraction]
) -> list[Fraction]:
    """Two values in hundredths, each within its range, summing to at most ``top``."""
    low = [math.ceil(value * 100) for value in lows]
    cap = [math.floor(value * 100) for value in caps]
    total = draw(st.integers(sum(low), max(sum(low), math.floor(top * 100))))
    first = draw(st.integers(max(low[0], total - cap[1]), min(total - low[1], cap[0])))
    return [Fraction(first, 100), Fraction(total - first, 100)]


# --- boundaries ----------------------------------------------------------------


def baseline_case(bounds: SpecBounds, image: ImageSpec | None = None) -> RequestCase:
    """The smallest request the spec accepts: each ratio at its minimum, a square image of
    the minimum side."""
    kind = sorted(bounds.formats)[0]
    picture = image or ImageSpec(kind, bounds.min_side, bounds.min_side)
    fields = {name: bounds.ratio_min_written[name] for name in bounds.ratio_fields}
    return RequestCase("baseline", fields, bounds.image_field, picture)


def area_at_limit(bounds: SpecBounds, axis: tuple[str, str]) -> RequestCase:
    """The baseline with ``axis``'s two ratios split evenly so the area factor is exactly the
    limit (the other axis at its minimum)."""
    other = bounds.horizontal if axis == bounds.vertical else bounds.vertical
    half = (bounds.max_area_factor / (1 + sum(bounds.ratio_min[n] for n in other)) - 1) / 2
    if Fraction(str(float(half))) != half:
        raise ValueError(f"no exact decimal splits the area limit {bounds.max_area_factor}")
    if not all(bounds.ratio_min[n] <= half <= bounds.ratio_max[n] for n in axis):
        raise ValueError(f"the area limit {bounds.max_area_factor} is out of {axis}'s range")
    name = "vertical" if axis == bounds.vertical else "horizontal"
    return baseline_case(bounds).with_fields(
        f"area factor at max_area_factor, {name}ly", **dict.fromkeys(axis, float(half))
    )


def boundary_cases(bounds: SpecBounds) -> list[RequestCase]:
    """Every limit exactly, and just past it, each in an otherwise accepted request:
    each ratio's maximum and minimum, the area factor along either axis, ``n``, the
    prompt, each side, both aspect limits, the format and every required field."""
    base = baseline_case(bounds)
    cases = [base.pinned(True)]
    for name in bounds.ratio_fields:
        high, low = bounds.ratio_max_written[name], float(bounds.ratio_min[name])
        at_max = base.with_fields(f"{name} at its maximum", **{name: high})
        # at its maximum, a ratio is accepted only while the area limit allows it
        cases += [
            at_max.pinned(bounds.area_factor(at_max.fields) <= bounds.max_area_factor),
            base.with_fields(f"{name} at its minimum", **{name: low}).pinned(True),
            base.with_fields(
                f"{name} one float over", **{name: math.nextafter(high, math.inf)}
            ).pinned(False),
            base.with_fields(
                f"{name} one float under", **{name: math.nextafter(low, -math.inf)}
            ).pinned(False),
        ]
    for axis in (bounds.vertical, bounds.horizontal):
        at_limit = area_at_limit(bounds, axis)
        just_over = math.nextafter(at_limit.fields[axis[1]], math.inf)
        cases += [
            at_limit.pinned(True),
            at_limit.with_fields(
                at_limit.label.replace(" at max_area_factor", " just over"),
                **{axis[1]: just_over},
            ).pinned(False),
        ]
    prompt = bounds.prompt_field
    cases += [
        base.with_fields("n at its maximum", n=bounds.n_max).pinned(True),
        base.with_fields("n at its minimum", n=bounds.n_min).pinned(True),
        base.with_fields("n over its maximum", n=bounds.n_max + 1).pinned(False),
        base.with_fields("n under its minimum", n=bounds.n_min - 1).pinned(False),
        base.with_fields("prompt at max_length", **{prompt: "p" * bounds.prompt_max}).pinned(True),
        base.with_fields(
            "prompt over max_length", **{prompt: "p" * (bounds.prompt_max + 1)}
        ).pinned(False),
    ]
    kind = sorted(bounds.formats)[0]
    for label, ((width, height), within) in boundary_shapes(bounds).items():
        cases.append(base.with_image(label, ImageSpec(kind, width, height)).pinned(within))
    foreign = ImageSpec(FOREIGN_FORMAT, bounds.min_side, bounds.min_side)
    cases.append(base.with_image("foreign format", foreign).pinned(False))
    cases.extend(base.without(required).pinned(False) for required in bounds.required)
    return cases


def byte_limit_cases(bounds: SpecBounds) -> list[RequestCase]:
    """An image of exactly ``max_bytes`` and one of a byte more (PNGs padded to the size)."""
    if "png" not in bounds.formats:
        raise ValueError("padding to an exact size needs PNG among the spec's formats")
    base = baseline_case(bounds)
    side, limit = bounds.min_side, bounds.max_bytes
    return [
        base.with_image("image at max_bytes", ImageSpec("png", side, side, limit)).pinned(True),
        base.with_image(
            "image one byte over max_bytes", ImageSpec("png", side, side, limit + 1)
        ).pinned(False),
    ]


def untyped_cases(bounds: SpecBounds) -> list[RequestCase]:
    """Requests only an untyped client can send, each in an otherwise accepted request:
    the image as a URL, with a ``data:`` prefix, as broken base64 or not as text; a
    value of the wrong type in each kind of field."""
    base = baseline_case(bounds)
    encoded = base.body()[bounds.image_field]
    truncated = base64.b64encode(base.image_spec.encoded()[: len(base.image_spec.encoded()) // 2])
    ratio = bounds.vertical[0]
    cases = [
        base.with_image("image by URL", URL_IMAGE).pinned(True),
        base.with_image("image with a data: prefix", f"data:image/png;base64,{encoded}"),
        base.with_image("image base64 cut short", encoded[:-2]),
        base.with_image("image base64 of half a file", truncated.decode("ascii")),
        *(base.with_image(f"image {text!r}", text) for text in BAD_IMAGE_TEXTS),
        base.with_image("image not text", len(encoded)),
        base.with_fields(f"{ratio} as text", **{ratio: str(bounds.ratio_min_written[ratio])}),
        base.with_fields(f"{ratio} null", **{ratio: None}),
        base.with_fields(f"{ratio} a boolean", **{ratio: True}),
        base.with_fields("n as text", n=str(bounds.n_min)),
        base.with_fields("n a fraction", n=bounds.n_min + 0.5),
        base.with_fields("prompt null", **{bounds.prompt_field: None}),
    ]
    return [case if case.on_a_limit else case.pinned(False) for case in cases]


def is_typed(case: RequestCase, bounds: SpecBounds) -> bool:
    """Whether a typed client can say this request (see :func:`request_cases`)."""
    return isinstance(case.image, ImageSpec) and all(
        name in case.fields for name in bounds.required if name != bounds.image_field
    )


def pin_boundaries(
    bounds: SpecBounds, argument: str = "case", *, typed: bool = False
) -> Callable[[F], F]:
    """Pin every boundary case of ``bounds`` with ``@example``: the typed ones if ``typed``,
    else those and the :func:`untyped_cases` too."""
    cases = boundary_cases(bounds) + ([] if typed else untyped_cases(bounds))

    def decorate(test: F) -> F:
        for case in cases:
            if not typed or is_typed(case, bounds):
                test = example(**{argument: case})(test)
        return test

    return decorate
