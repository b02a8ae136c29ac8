"""Copies of the resolved spec with one bound moved, to prove that everything follows the spec.

Each change derives its new value from the old one, so the variants stay
meaningful whatever the published numbers become.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .oracle import create_request_schema


@dataclass(frozen=True)
class SpecChange:
    """One edit to a spec copy's create request schema; ``id`` names it in test ids."""

    id: str
    edit: Callable[[dict[str, Any]], None]

    def applied_to(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(dict(spec))
        self.edit(request_schema(changed))
        return changed


def request_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """The create request schema inside ``spec`` itself (edits to it edit the spec)."""
    return create_request_schema(spec)[2]  # type: ignore[return-value]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _scale_ratios(factor: float) -> Callable[[dict[str, Any]], None]:
    def edit(schema: dict[str, Any]) -> None:
        expansion = schema["x-kling-constraints"]["expansion"]
        for name in expansion["vertical"] + expansion["horizontal"]:
            prop = schema["properties"][name]
            prop["maximum"] = _number(prop["maximum"] * factor)

    return edit


def _halve_n(schema: dict[str, Any]) -> None:
    n = schema["properties"]["n"]
    n["maximum"] = n["maximum"] // 2
    n["default"] = min(n.get("default", n["minimum"]), n["maximum"])


def _shorten_prompt(schema: dict[str, Any]) -> None:
    prompt = schema["x-kling-constraints"]["prompt"]
    prompt["max_length"] = prompt["max_length"] // 25
    schema["properties"][prompt["field"]]["maxLength"] = prompt["max_length"]


def _shrink_area(schema: dict[str, Any]) -> None:
    expansion = schema["x-kling-constraints"]["expansion"]
    expansion["max_area_factor"] = _number(expansion["max_area_factor"] - 1)


AS_PUBLISHED = SpecChange("as-published", lambda schema: None)
SPEC_CHANGES = (
    AS_PUBLISHED,
    SpecChange("ratio-max-x1.5", _scale_ratios(3 / 2)),
    SpecChange("n-max-halved", _halve_n),
    SpecChange("prompt-max-div25", _shorten_prompt),
    SpecChange("area-factor-minus-1", _shrink_area),
)

# A wider ratio maximum is invisible while the area limit already caps each side
# below it (a single side r gives a factor of 1 + r); a narrower one is not.
# Planting a disagreement therefore narrows the ratios rather than widening them.
RATIOS_HALVED = SpecChange("ratio-max-halved", _scale_ratios(1 / 2))
OBSERVABLE_CHANGES = (
    RATIOS_HALVED,
    *(change for change in SPEC_CHANGES if change.id not in {AS_PUBLISHED.id, "ratio-max-x1.5"}),
)
