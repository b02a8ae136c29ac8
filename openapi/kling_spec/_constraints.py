"""The request constraints, read from the resolved spec and nowhere else.

Both the SDK's local checks and the mock server's validation are built from a
:class:`ExpandConstraints`, so a bound changed in the spec changes both, and a
test can hand either of them a modified copy of the spec.
"""

from __future__ import annotations

import decimal
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import jsonschema_rs

from ._errors import SpecError
from ._files import load_resolved_spec
from ._formats import FORMAT_CHECKS
from ._paths import CREATE_PATH
from ._references import raise_if_broken, resolve_ref


def as_written(value: float) -> Fraction:
    """A JSON number exactly as it is written: ``0.1`` is one tenth, not the nearest double.

    Every rule that does arithmetic on request numbers (the area limit, the
    canvas size) goes through this, so they all agree to the last digit.

    >>> as_written(0.1) == Fraction(1, 10)
    True
    """
    return Fraction(_decimal_as_written(value))


# Enough precision that sums and products of finite decimals are exact, whatever their
# exponents: Decimal then gives the same answers as Fraction, at a fraction of the cost.
_EXACT = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.Inexact]
)


# Relative distance from the area limit beyond which a float computation decides.
_FLOAT_MARGIN = 1e-9


def _decimal_as_written(value: float) -> decimal.Decimal:
    return decimal.Decimal(repr(float(value)))


@dataclass(frozen=True)
class NumberBound:
    """An inclusive numeric range taken from a JSON Schema property."""

    minimum: float
    maximum: float

    def contains(self, value: float) -> bool:
        return self.minimum <= value <= self.maximum


@dataclass(frozen=True)
class ExpandConstraints:
    """Every limit a create request must respect, as the resolved spec states it.

    >>> c = ExpandConstraints.from_spec()
    >>> c.area_ok({name: 0 for name in c.ratio_fields})
    True
    """

    spec: Mapping[str, Any] = field(repr=False, compare=False)
    request_schema: Mapping[str, Any] = field(repr=False)
    required_fields: tuple[str, ...]
    ratio_bounds: Mapping[str, NumberBound]
    vertical_fields: tuple[str, str]
    horizontal_fields: tuple[str, str]
    max_area_factor: float
    n_bound: NumberBound
    n_default: int
    prompt_field: str
    prompt_max_length: int
    n_field: str
    watermark_field: str
    watermark_enabled_field: str
    callback_field: str
    external_task_id_field: str
    image_field: str
    image_formats: tuple[str, ...]
    image_max_bytes: int
    image_min_side: int
    aspect_min: Fraction
    aspect_max: Fraction
    aspect_min_text: str
    aspect_max_text: str

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None = None) -> ExpandConstraints:
        """Read the constraints from ``spec`` (default: the resolved spec shipped here)."""
        if spec is None:
            return _default_constraints()
        return _read_constraints(spec)

    @functools.cached_property
    def request_schema_inlined(self) -> Mapping[str, Any]:
        """The create request's JSON Schema with every ``$ref`` inlined (it has no cycles)."""
        inlined: Mapping[str, Any] = inline_refs(self.spec, self.request_schema)
        return inlined

    @functools.cached_property
    def request_validator(self) -> jsonschema_rs.Validator:
        """The create request's JSON Schema, compiled once (OpenAPI 3.1 is JSON Schema 2020-12).

        jsonschema-rs compiles it to native code, so judging a request costs
        microseconds; ``format`` is asserted, not just noted, with this package's
        own RFC 3986 ``uri`` check.
        """
        return jsonschema_rs.Draft202012Validator(
            dict(self.request_schema_inlined), validate_formats=True, formats=FORMAT_CHECKS
        )

    @property
    def ratio_fields(self) -> tuple[str, ...]:
        return self.vertical_fields + self.horizontal_fields

    def area_factor(self, up: float, down: float, left: float, right: float) -> Fraction:
        """How many times the original area the expanded canvas covers, exactly.

        Computed on the numbers as written (``0.1`` is 0.1, not the nearest binary
        float; see :func:`as_written`), so ``(1 + 0.1 + 0.1) * (1 + 0.75 + 0.75)``
        is exactly 3 and sits on the limit rather than just over it.

        >>> ExpandConstraints.from_spec().area_factor(0.1, 0.1, 0.75, 0.75)
        Fraction(3, 1)
        """
        return Fraction(self._exact_area_factor(up, down, left, right))

    def _exact_area_factor(
        self, up: float, down: float, left: float, right: float
    ) -> decimal.Decimal:
        up_, down_, left_, right_ = (_decimal_as_written(v) for v in (up, down, left, right))
        one, add = decimal.Decimal(1), _EXACT.add
        return _EXACT.multiply(add(add(one, up_), down_), add(add(one, left_), right_))

    def area_factor_of(self, ratios: Mapping[str, float]) -> Fraction:
        """:meth:`area_factor` for a mapping of ratio field name to value."""
        return self.area_factor(*self._ratios(ratios))

    def area_ok(self, ratios: Mapping[str, float]) -> bool:
        """Whether the expanded canvas stays within ``max_area_factor`` times the original.

        Decided in floating point when that is clearly far from the limit (the
        float error of two sums and a product is a few parts in 10**16, far
        inside the margin), and in exact decimals on or near it.

        >>> c = ExpandConstraints.from_spec()
        >>> up, down, left, right = c.ratio_fields
        >>> c.area_ok({up: 0.1, down: 0.1, left: 0.75, right: 0.75})  # exactly the limit
        True
        >>> c.area_ok({up: 0.1, down: 0.1, left: 0.75, right: 0.7500000001})
        False
        """
        values = self._ratios(ratios)
        limit = self.max_area_factor
        try:
            up, down, left, right = (float(v) for v in values)
            approx = (1.0 + up + down) * (1.0 + left + right)
        except OverflowError:  # an integer beyond float range: only exact arithmetic judges it
            approx = math.nan
        if abs(approx - limit) > _FLOAT_MARGIN * limit:  # False for NaN and infinities alike
            return approx < limit
        return self._exact_area_factor(*values) <= _decimal_as_written(limit)

    def _ratios(self, ratios: Mapping[str, float]) -> tuple[float, float, float, float]:
        (up, down), (left, right) = self.vertical_fields, self.horizontal_fields
        return ratios[up], ratios[down], ratios[left], ratios[right]

    def aspect_ok(self, width: int, height: int) -> bool:
        """Whether width:height lies within the documented aspect range (exact arithmetic)."""
        ratio = Fraction(width, height)
        return self.aspect_min <= ratio <= self.aspect_max


def inline_refs(spec: Mapping[str, Any], node: Any, _seen: frozenset[str] = frozenset()) -> Any:
    """``node`` with every local ``$ref`` replaced by what it points at (cycles refused)."""
    if isinstance(node, list):
        return [inline_refs(spec, item, _seen) for item in node]
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in _seen:
            raise SpecError(f"cannot inline the recursive $ref {ref!r}")
        target = inline_refs(spec, resolve_ref(spec, {"$ref": ref}), _seen | {ref})
        siblings = {k: inline_refs(spec, v, _seen) for k, v in node.items() if k != "$ref"}
        return {**target, **siblings}
    return {key: inline_refs(spec, value, _seen) for key, value in node.items()}


def request_schema_of(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """The create operation's request body schema, references followed."""
    try:
        body = spec["paths"][CREATE_PATH]["post"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
    except KeyError as exc:
        raise SpecError(f"the spec has no JSON request body for POST {CREATE_PATH}") from exc
    return resolve_ref(spec, schema)


def _parse_aspect(text: str) -> Fraction:
    width, _, height = text.partition(":")
    try:
        return Fraction(width) / Fraction(height)
    except (ValueError, ZeroDivisionError) as exc:
        raise SpecError(f"aspect ratio {text!r} is not of the form W:H") from exc


def _bound(schema: Mapping[str, Any], field: str) -> NumberBound:
    try:
        return NumberBound(float(schema["minimum"]), float(schema["maximum"]))
    except KeyError as exc:
        raise SpecError(f"{field} has no minimum/maximum in the spec") from exc


def _read_constraints(spec: Mapping[str, Any]) -> ExpandConstraints:
    # Every name read below is checked first, so a spec that lacks one is refused
    # with the reference named rather than with a KeyError.
    raise_if_broken(spec)
    schema = request_schema_of(spec)
    properties = schema["properties"]
    extra = schema["x-kling-constraints"]
    image, expansion, prompt = extra["image"], extra["expansion"], extra["prompt"]
    vertical = tuple(expansion["vertical"])
    horizontal = tuple(expansion["horizontal"])
    n_field = str(extra["n"]["field"])
    n_schema = resolve_ref(spec, properties[n_field])
    prompt_field = str(prompt["field"])
    if len(vertical) != 2 or len(horizontal) != 2:
        raise SpecError(
            "x-kling-constraints.expansion needs two vertical and two horizontal fields"
        )
    schema_max = properties.get(prompt_field, {}).get("maxLength")
    if schema_max is not None and int(schema_max) != int(prompt["max_length"]):
        raise SpecError(
            f"{prompt_field}.maxLength ({schema_max}) disagrees with "
            f"x-kling-constraints.prompt.max_length ({prompt['max_length']})"
        )
    ratio_fields = vertical + horizontal
    return ExpandConstraints(
        spec=spec,
        request_schema=schema,
        required_fields=tuple(schema.get("required", ())),
        ratio_bounds={
            name: _bound(resolve_ref(spec, properties[name]), name) for name in ratio_fields
        },
        vertical_fields=(vertical[0], vertical[1]),
        horizontal_fields=(horizontal[0], horizontal[1]),
        max_area_factor=float(expansion["max_area_factor"]),
        n_bound=_bound(n_schema, n_field),
        n_default=int(n_schema.get("default", n_schema["minimum"])),
        prompt_field=prompt_field,
        prompt_max_length=int(prompt["max_length"]),
        n_field=n_field,
        watermark_field=str(extra["watermark"]["field"]),
        watermark_enabled_field=str(extra["watermark"]["enabled"]),
        callback_field=str(extra["callback"]["field"]),
        external_task_id_field=str(extra["external_task_id"]["field"]),
        image_field=str(image["field"]),
        image_formats=tuple(str(f).lower() for f in image["formats"]),
        image_max_bytes=int(image["max_bytes"]),
        image_min_side=int(image["min_side_px"]),
        aspect_min=_parse_aspect(str(image["aspect_ratio"]["min"])),
        aspect_max=_parse_aspect(str(image["aspect_ratio"]["max"])),
        aspect_min_text=str(image["aspect_ratio"]["min"]),
        aspect_max_text=str(image["aspect_ratio"]["max"]),
    )


@functools.cache
def _default_constraints() -> ExpandConstraints:
    return _read_constraints(load_resolved_spec())
