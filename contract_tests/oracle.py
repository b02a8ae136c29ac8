"""An independent reading of the spec: would the service accept this create request?

This is the yardstick the contract tests hold the SDK and the mock against, so it
deliberately shares no code with ``kling_spec``: it finds the create operation
in the raw spec dict itself, validates JSON Schema with python-jsonschema, the
reference implementation (the shared module runs the compiled jsonschema-rs),
reads ``x-kling-constraints`` from the dict, measures images with Pillow (the
shared module parses headers itself) and does its arithmetic with exact
fractions of the numbers as written (the shared module uses decimals).

Two conventions are the project's, documented in the README and the spec:

- the area factor ``(1 + up + down) * (1 + left + right)`` is computed on the
  decimal numbers as written (``0.1`` is one tenth, not the nearest binary
  float), so a factor of exactly the limit is accepted;
- the aspect ratio ``width:height`` is compared as an exact fraction with the
  ``W:H`` limits.

Format keywords are asserted (``callback_url`` must be a ``uri``), as the
project reads the spec: JSON Schema 2020-12 leaves that choice to the validator.
A ``uri`` is judged by jsonschema-rs's built-in check, not by the shared
module's own RFC 3986 pattern.
"""

from __future__ import annotations

import binascii
import io
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from PIL import Image, UnidentifiedImageError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

_SPEC_URI = "urn:contract-tests:spec"
AREA_FACTOR = "max_area_factor"
# What the oracle finds wrong with an image's content, each named as x-kling-constraints
# names it (``base64``: the prose's "raw Base64", which the extension leaves unnamed).
IMAGE_CONTENT = frozenset(
    {"data_uri_prefix", "base64", "max_bytes", "formats", "min_side_px", "aspect_ratio"}
)
_URI = jsonschema_rs.validator_for({"type": "string", "format": "uri"}, validate_formats=True)
_FORMATS = FormatChecker()
_FORMATS.checks("uri")(lambda value: not isinstance(value, str) or _URI.is_valid(value))


@dataclass(frozen=True)
class SpecBounds:
    """Every limit of the create request, read straight from a spec dict."""

    create_path: str
    request_pointer: str
    required: tuple[str, ...]
    ratio_fields: tuple[str, ...]
    vertical: tuple[str, str]
    horizontal: tuple[str, str]
    ratio_min: Mapping[str, Fraction]
    ratio_max: Mapping[str, Fraction]
    ratio_min_written: Mapping[str, int | float]
    ratio_max_written: Mapping[str, float]
    n_field: str
    n_min: int
    n_max: int
    watermark_field: str
    watermark_enabled_field: str
    callback_field: str
    external_task_id_field: str
    prompt_field: str
    prompt_max: int
    max_area_factor: Fraction
    image_field: str
    formats: frozenset[str]
    max_bytes: int
    min_side: int
    aspect_min: Fraction
    aspect_max: Fraction

    @classmethod
    def read(cls, spec: Mapping[str, Any]) -> SpecBounds:
        path, pointer, schema = create_request_schema(spec)
        properties = schema["properties"]
        extra = schema["x-kling-constraints"]
        expansion, image, prompt = extra["expansion"], extra["image"], extra["prompt"]
        vertical = tuple(expansion["vertical"])
        horizontal = tuple(expansion["horizontal"])
        ratios = vertical + horizontal
        n_field = str(extra["n"]["field"])
        n = properties[n_field]
        return cls(
            create_path=path,
            request_pointer=pointer,
            required=tuple(schema.get("required", ())),
            ratio_fields=ratios,
            vertical=(vertical[0], vertical[1]),
            horizontal=(horizontal[0], horizontal[1]),
            ratio_min={f: _exact(properties[f]["minimum"]) for f in ratios},
            ratio_max={f: _exact(properties[f]["maximum"]) for f in ratios},
            ratio_min_written={f: properties[f]["minimum"] for f in ratios},
            ratio_max_written={f: float(properties[f]["maximum"]) for f in ratios},
            n_field=n_field,
            n_min=int(n["minimum"]),
            n_max=int(n["maximum"]),
            watermark_field=str(extra["watermark"]["field"]),
            watermark_enabled_field=str(extra["watermark"]["enabled"]),
            callback_field=str(extra["callback"]["field"]),
            external_task_id_field=str(extra["external_task_id"]["field"]),
            prompt_field=prompt["field"],
            prompt_max=int(prompt["max_length"]),
            max_area_factor=_exact(expansion["max_area_factor"]),
            image_field=image["field"],
            formats=frozenset(str(f).lower() for f in image["formats"]),
            max_bytes=int(image["max_bytes"]),
            min_side=int(image["min_side_px"]),
            aspect_min=_aspect(image["aspect_ratio"]["min"]),
            aspect_max=_aspect(image["aspect_ratio"]["max"]),
        )

    def area_factor(self, body: Mapping[str, Any]) -> Fraction:
        up, down = (_exact(body[name]) for name in self.vertical)
        left, right = (_exact(body[name]) for name in self.horizontal)
        return (1 + up + down) * (1 + left + right)

    def canvas(self, width: int, height: int, body: Mapping[str, Any]) -> tuple[int, int, int, int]:
        """``(canvas width, canvas height, x, y)`` of an expansion, the original at ``(x, y)``.

        The spec's ``canvas_rounding`` convention, on the ratios as written;
        ``round`` takes halves up, as the spec's convention says.
        """
        up, down = (_exact(body[name]) for name in self.vertical)
        left, right = (_exact(body[name]) for name in self.horizontal)
        return (
            _half_up(width * (1 + left + right)),
            _half_up(height * (1 + up + down)),
            _half_up(width * left),
            _half_up(height * up),
        )


@dataclass(frozen=True)
class Verdict:
    """What the spec says of one request: schema errors by field, broken constraints by name."""

    schema_fields: frozenset[str]
    constraints: frozenset[str]

    @property
    def accepted(self) -> bool:
        return not self.schema_fields and not self.constraints


class SpecOracle:
    """Judges create requests against one spec dict (any copy, possibly modified).

    >>> from kling_spec import load_resolved_spec
    >>> oracle = SpecOracle(load_resolved_spec())
    >>> oracle.judge({"image": "https://images.test/a.png"}).accepted
    False
    """

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.bounds = SpecBounds.read(spec)
        resource = Resource.from_contents(dict(spec), default_specification=DRAFT202012)
        registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
        request = {"$ref": f"{_SPEC_URI}#{self.bounds.request_pointer}"}
        self._validator = Draft202012Validator(request, registry=registry, format_checker=_FORMATS)

    def judge(self, body: Any) -> Verdict:
        """The verdict on a request body; a base64 ``image`` is decoded and measured too."""
        if not isinstance(body, Mapping):
            return Verdict(frozenset({""}), frozenset())
        errors = self._validator.iter_errors(body)
        schema_fields = frozenset(name for e in errors for name in _error_fields(e))
        constraints: set[str] = set()
        if not schema_fields:
            if self.bounds.area_factor(body) > self.bounds.max_area_factor:
                constraints.add(AREA_FACTOR)
            constraints |= self._image_problems(body[self.bounds.image_field])
        return Verdict(schema_fields, frozenset(constraints))

    def format_breaches(self, body: Any) -> frozenset[str]:
        """Fields whose value breaks a ``format`` the spec states, were formats asserted."""
        errors = self._validator.iter_errors(body)
        return frozenset(
            name for e in errors if e.validator == "format" for name in _error_fields(e)
        )

    def names_beyond_json_schema(self, body: Any) -> frozenset[str]:
        """The words a refusal of ``body`` may name its reason by, when JSON Schema cannot.

        Empty when the oracle accepts ``body`` or refuses it for a rule JSON Schema
        states (a ``maxLength``, a ``maximum``, a type). Otherwise: each constraint
        beyond the schema that ``body`` breaks (the area factor; the image's
        content, which may also go by the image field's name) and each field whose
        value breaks a ``format`` (an annotation unless asserted).
        """
        breaches = self.format_breaches(body)
        verdict = self.judge(body)
        if verdict.schema_fields - breaches:
            return frozenset()
        names = set(breaches) | verdict.constraints
        if verdict.constraints & IMAGE_CONTENT:
            names.add(self.bounds.image_field)
        return frozenset(names)

    def _image_problems(self, value: str) -> set[str]:
        if value.startswith(("http://", "https://")):
            return set()  # the service fetches it; its content is unknown here
        if value[:5].lower() == "data:":
            return {"data_uri_prefix"}
        try:
            data = binascii.a2b_base64(value.encode("ascii"), strict_mode=True)
        except (binascii.Error, ValueError):
            return {"base64"}
        if len(data) > self.bounds.max_bytes:
            return {"max_bytes"}
        try:
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = str(image.format).lower(), image.size
                image.verify()  # checksums, where the format has them
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # and every pixel decodes: a cut-off file is no image
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            return {"formats"}
        if kind not in self.bounds.formats:
            return {"formats"}
        problems = set()
        if min(width, height) < self.bounds.min_side:
            problems.add("min_side_px")
        if not self.bounds.aspect_min <= Fraction(width, height) <= self.bounds.aspect_max:
            problems.add("aspect_ratio")
        return problems


def _half_up(value: Fraction) -> int:
    """The nearest integer to a non-negative ``value``, halves going up."""
    return (2 * value + 1) // 2


def _exact(value: Any) -> Fraction:
    """A JSON number as the exact rational it is written as (``0.1`` is 1/10)."""
    return Fraction(str(value))


def _aspect(text: str) -> Fraction:
    width, height = str(text).split(":")
    return Fraction(width) / Fraction(height)


def _error_fields(error: ValidationError) -> list[str]:
    """The dotted field names one schema error is about (a ``required`` error: the missing)."""
    path = [str(part) for part in error.absolute_path]
    required = error.validator_value
    if error.validator == "required" and isinstance(error.instance, Mapping):
        assert isinstance(required, list)
        missing = [str(key) for key in required if key not in error.instance]
        return [".".join([*path, key]) for key in missing]
    return [".".join(path)]


def create_request_schema(spec: Mapping[str, Any]) -> tuple[str, str, Mapping[str, Any]]:
    """The one POST operation whose JSON body carries ``x-kling-constraints``."""
    found = []
    for path, item in spec["paths"].items():
        body = item.get("post", {}).get("requestBody", {})
        schema = body.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            continue
        pointer = "/paths/" + _escape(path) + "/post/requestBody/content/application~1json/schema"
        while "$ref" in schema:
            pointer = schema["$ref"][1:]
            schema = _follow(spec, pointer)
        if "x-kling-constraints" in schema:
            found.append((path, pointer, schema))
    if len(found) != 1:
        raise ValueError(f"expected one create operation with x-kling-constraints, got {found}")
    return found[0]


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _follow(spec: Mapping[str, Any], pointer: str) -> Any:
    node: Any = spec
    for part in pointer.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node
