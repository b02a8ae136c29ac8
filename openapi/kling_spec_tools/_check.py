"""Every reference the overlay and the runtime make, checked against the resolved document.

``kling-spec resolve`` refuses to write a resolved spec in which any of these is
broken, so the runtime (``kling_spec``) never meets one from this project's tools:

* an overlay action whose JSONPath target selects nothing;
* a ``$ref`` that points at nothing, a link to an operation id that no operation has;
* a name ``x-kling-constraints`` or the runtime reads that the document lacks
  (:func:`kling_spec.broken_references`: request fields, bounds, query parameters,
  components);
* a required request field that ``x-kling-constraints`` gives no role, so the SDK
  would never send it;
* anything else the runtime's readers refuse.

Each problem becomes one line naming the overlay entry, the missing name and, from
the structural diff against the last resolved spec, the upstream change behind it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kling_spec import (
    ExpandConstraints,
    ListQuery,
    SpecError,
    broken_references,
    error_codes,
    gateway_retryable_statuses,
)
from kling_spec._references import CONSTRAINTS_KEY, follow_ref, request_schema_or_none

from ._diff import SpecChange, diff_specs


@dataclass(frozen=True)
class Unmatched:
    """An overlay action whose target selected nothing, and the first step that failed."""

    number: int
    target: str
    missing: str


@dataclass(frozen=True)
class BrokenReference:
    """One line of ``kling-spec resolve``'s refusal."""

    entry: str
    name: str
    what: str
    upstream: str
    fix: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.what}; upstream: {self.upstream}; fix: {self.fix}"


class ReferencesBroken(SpecError):
    """The resolved document has broken references; ``problems`` lists each."""

    def __init__(self, problems: Sequence[BrokenReference]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, self.problems)))


def check_references(
    resolved: Mapping[str, Any],
    overlay: Mapping[str, Any],
    unmatched: Sequence[Unmatched],
    previous: Mapping[str, Any] | None,
) -> list[BrokenReference]:
    """Every broken reference in ``resolved``, explained from its diff against ``previous``."""
    changes = diff_specs(previous, resolved) if previous else None
    found: list[BrokenReference] = []
    for miss in unmatched:
        found.append(
            BrokenReference(
                entry=f"overlay action {miss.number} ({miss.target})",
                name=miss.missing,
                what=f"its target selects nothing: no {miss.missing!r} there",
                upstream=_explain(miss.missing, changes),
                fix=_fix(miss.missing, changes, "change the action's target", "remove the action"),
            )
        )
    for entry, name, what in _document_references(resolved):
        found.append(
            BrokenReference(
                entry=_overlay_entry(overlay, entry, name),
                name=name,
                what=what,
                upstream=_explain(name, changes),
                fix=_fix(name, changes, "point it at the new name", "remove it from the overlay"),
            )
        )
    for ref in broken_references(resolved):
        found.append(
            BrokenReference(
                entry=_overlay_entry(overlay, ref.entry, ref.name),
                name=ref.name,
                what=f"{ref.name!r} is not in {ref.where}",
                upstream=_explain(ref.name, changes),
                fix=_fix(
                    ref.name,
                    changes,
                    f"write the new name at {ref.entry}",
                    "state it in the overlay, or drop what reads it",
                ),
            )
        )
    # A required field that is what a missing name was renamed to is that same problem.
    renamed = {new for problem in found for new in _renamed_to(problem.name, changes or [])}
    found.extend(
        problem
        for problem in _unfilled_required_fields(resolved, overlay, changes)
        if problem.name not in renamed
    )
    if not found:
        found.extend(_runtime_refusals(resolved))
    return found


def _document_references(document: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """``(where, name, what)`` for each dangling ``$ref`` and each link to a missing operation."""
    operation_ids = {
        op.get("operationId")
        for item in (document.get("paths") or {}).values()
        if isinstance(item, Mapping)
        for op in item.values()
        if isinstance(op, Mapping)
    }

    def visit(node: Any, where: str) -> Iterator[tuple[str, str, str]]:
        if isinstance(node, list):
            for index, item in enumerate(node):
                yield from visit(item, f"{where}[{index}]")
            return
        if not isinstance(node, Mapping):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and follow_ref(document, {"$ref": ref}) is None:
            yield where, ref.rpartition("/")[2], f"$ref {ref!r} points at nothing"
        links = node.get("links")
        if isinstance(links, Mapping):
            for name, link in links.items():
                op = link.get("operationId") if isinstance(link, Mapping) else None
                if op is not None and op not in operation_ids:
                    yield f"{where}.links.{name}", str(op), f"no operation has id {op!r}"
        for key, value in node.items():
            yield from visit(value, f"{where}.{key}")

    yield from visit(document, "$")


def _unfilled_required_fields(
    resolved: Mapping[str, Any], overlay: Mapping[str, Any], changes: list[SpecChange] | None
) -> Iterator[BrokenReference]:
    schema = request_schema_or_none(resolved)
    extra = schema.get(CONSTRAINTS_KEY) if schema else None
    if not isinstance(extra, Mapping):
        return
    named = set(_names_in(extra))
    for name in schema.get("required", ()) if schema else ():
        if name in named:
            continue
        yield BrokenReference(
            entry=_overlay_entry(overlay, CONSTRAINTS_KEY, name),
            name=name,
            what=(
                f"the request requires {name!r}, which {CONSTRAINTS_KEY} gives no role, "
                "so the SDK never sends it and the mock refuses every request without it"
            ),
            upstream=_explain(name, changes),
            fix=(
                f"if upstream renamed a field to {name!r}, write the new name in "
                f"{CONSTRAINTS_KEY}; otherwise the SDK needs a way to fill it: give it a role "
                f"in {CONSTRAINTS_KEY} (a new entry with `field: {name}`) and teach the SDK"
            ),
        )


def _names_in(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("field", "vertical", "horizontal"):
                yield from [value] if isinstance(value, str) else value
            else:
                yield from _names_in(value)


def _runtime_refusals(resolved: Mapping[str, Any]) -> Iterator[BrokenReference]:
    # The readers the SDK and the mock use: anything they refuse is refused here first.
    readers = (ExpandConstraints.from_spec, ListQuery.from_spec, error_codes)
    for reader in (*readers, gateway_retryable_statuses):
        try:
            reader(resolved)
        except (SpecError, KeyError, TypeError, ValueError) as exc:
            yield BrokenReference(
                entry="the runtime",
                name=getattr(reader, "__qualname__", str(reader)),
                what=f"{getattr(reader, '__qualname__', reader)} refuses the spec: {exc}",
                upstream="see `kling-spec diff`",
                fix="make the overlay state what the runtime reads",
            )


def _overlay_entry(overlay: Mapping[str, Any], entry: str, name: str) -> str:
    """The overlay action ``entry`` comes from: the first one whose update mentions its key."""
    key = CONSTRAINTS_KEY if CONSTRAINTS_KEY in entry else None
    for token in (key, _last_word(entry), name):
        if not token:
            continue
        for number, action in enumerate(overlay.get("actions") or (), start=1):
            if token in json.dumps(action.get("update", {})):
                return f"overlay action {number} ({entry})"
    return f"{entry} (in no overlay action: the runtime expects it)"


def _last_word(entry: str) -> str:
    return entry.replace("(", " ").replace(")", " ").split()[-1].rpartition(".")[2]


def _matching(name: str, changes: Sequence[SpecChange]) -> list[SpecChange]:
    return [c for c in changes if c.where.endswith((f".{name}", f" {name}"))]


def _explain(name: str, changes: list[SpecChange] | None) -> str:
    if changes is None:
        return "no earlier resolved spec to compare with"
    matching = _matching(name, changes)
    if not matching:
        return f"no change names {name!r} (see `kling-spec diff`)"
    return ", ".join(str(change) for change in matching)


def _renamed_to(name: str, changes: Sequence[SpecChange]) -> list[str]:
    """The fields added beside a removed ``name``: what it was probably renamed to."""
    parents = {
        c.where.rpartition(".")[0] for c in _matching(name, changes) if c.what == "field removed"
    }
    return [
        c.where.rpartition(".")[2]
        for c in changes
        if c.what.endswith("field added") and c.where.rpartition(".")[0] in parents
    ]


def _fix(name: str, changes: list[SpecChange] | None, renamed: str, removed: str) -> str:
    candidates = _renamed_to(name, changes or [])
    if candidates:
        new = " or ".join(repr(c) for c in candidates)
        return f"if upstream renamed {name!r} to {new}, {renamed} (in overlay.yaml); else {removed}"
    return f"if upstream renamed {name!r}, {renamed} (in overlay.yaml); else {removed}"
