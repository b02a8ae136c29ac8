"""Query parameters of an operation, each validated with its schema from the spec."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import jsonschema_rs

from kling_spec import Violation, resolve_ref

from ._errors import RequestRefused

_NUMBER_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} does not fit a finite number")
    return value


class QueryParameter:
    """One query parameter of an operation, validated with its schema from the spec."""

    def __init__(self, name: str, schema: Mapping[str, Any]) -> None:
        self.name = name
        self.schema = schema
        self.default = schema.get("default")
        self._validator = jsonschema_rs.Draft202012Validator(dict(schema))
        self._numeric = schema.get("type") in ("integer", "number")

    def parse(self, raw: str | None) -> Any:
        if raw is None:
            return self.default
        value: Any = raw
        # ASCII digits only: int() also takes "１", "1_0" and " 5", no client's integer.
        if self._numeric and _NUMBER_TEXT.fullmatch(raw):
            try:
                value = int(raw)
            except ValueError:
                try:
                    value = _finite_float(raw)
                except ValueError:
                    value = raw
        error = next(iter(self._validator.iter_errors(value)), None)
        if error is not None:
            raise RequestRefused([Violation(self.name, f"{self.name}: {error.message}")])
        if self.schema.get("type") == "integer":
            return int(value)
        return value


def query_parameters(spec: Mapping[str, Any], path: str, method: str) -> dict[str, QueryParameter]:
    """The query parameters an operation of ``spec`` declares, by name."""
    operation = spec["paths"][path][method]
    found: dict[str, QueryParameter] = {}
    for parameter in operation.get("parameters", ()):
        parameter = resolve_ref(spec, parameter)
        if parameter.get("in") == "query":
            schema = resolve_ref(spec, parameter.get("schema", {}))
            found[parameter["name"]] = QueryParameter(parameter["name"], schema)
    return found
