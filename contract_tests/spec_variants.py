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


def _n_schema(schema: dict[str, Any]) -> dict[str, Any]:
    n: dict[str, Any] = schema["properties"][schema["x-kling-constraints"]["n"]["field"]]
    return n


def _halve_n(schema: dict[str, Any]) -> None:
    n = _n_schema(schema)
    n["maximum"] = n["maximum"] // 2
    n["default"] = min(n.get("default", n["minimum"]), n["maximum"])


def _raise_n_minimum(schema: dict[str, Any]) -> None:
    # A hard-coded minimum of n would now accept the value one below the spec's.
    n = _n_schema(schema)
    n["minimum"] = n["minimum"] + 1
    n["default"] = max(n.get("default", n["minimum"]), n["minimum"])


def _raise_ratio_minimum(schema: dict[str, Any]) -> None:
    # A twentieth of each maximum: four sides at it stay well within the area limit, and
    # a hard-coded minimum (or a default of no expansion) no longer fits the spec.
    expansion = schema["x-kling-constraints"]["expansion"]
    for name in expansion["vertical"] + expansion["horizontal"]:
        prop = schema["properties"][name]
        prop["minimum"] = _number(prop["maximum"] / 20)


def _shorten_prompt(schema: dict[str, Any]) -> None:
    prompt = schema["x-kling-constraints"]["prompt"]
    prompt["max_length"] = prompt["max_length"] // 25
    schema["properties"][prompt["field"]]["maxLength"] = prompt["max_length"]


def _scale_area(factor: float) -> Callable[[dict[str, Any]], None]:
    def edit(schema: dict[str, Any]) -> None:
        expansion = schema["x-kling-constraints"]["expansion"]
        expansion["max_area_factor"] = _number(expansion["max_area_factor"] * factor)

    return edit


def _shrink_area(schema: dict[str, Any]) -> None:
    expansion = schema["x-kling-constraints"]["expansion"]
    expansion["max_area_factor"] = _number(expansion["max_area_factor"] - 1)


def _both(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(schema: dict[str, Any]) -> None:
        for one in edits:
            one(schema)

    return edit


AS_PUBLISHED = SpecChange("as-published", lambda schema: None)
# A wider ratio maximum alone is invisible while the area limit already caps each
# side below it (a single side r gives a factor of 1 + r); doubling the area factor
# as well lets a single side reach the new maximum, so the ratio bound shows.
RATIOS_WIDENED = SpecChange("ratio-max-x1.5", _scale_ratios(3 / 2))
RATIOS_AND_AREA_WIDENED = SpecChange(
    "ratio-max-x1.5-area-x2", _both(_scale_ratios(3 / 2), _scale_area(2))
)
PROMPT_SHORTENED = SpecChange("prompt-max-div25", _shorten_prompt)
SPEC_CHANGES = (
    AS_PUBLISHED,
    RATIOS_WIDENED,
    RATIOS_AND_AREA_WIDENED,
    SpecChange("ratio-min-raised", _raise_ratio_minimum),
    SpecChange("n-max-halved", _halve_n),
    SpecChange("n-min-plus-1", _raise_n_minimum),
    PROMPT_SHORTENED,
    SpecChange("area-factor-minus-1", _shrink_area),
)

# Planting a disagreement needs a change one party alone can be caught reading:
# every variant but the published spec and the invisible wider ratios, plus
# narrower ratios (seen without any help from the area limit).
RATIOS_HALVED = SpecChange("ratio-max-halved", _scale_ratios(1 / 2))
OBSERVABLE_CHANGES = (
    RATIOS_HALVED,
    *(change for change in SPEC_CHANGES if change not in {AS_PUBLISHED, RATIOS_WIDENED}),
)
