"""Apply an OpenAPI Overlay 1.0 document, then the project's two resolver extensions.

Overlay semantics (https://spec.openapis.org/overlay/v1.0.0):

* every action has a JSONPath ``target``;
* ``remove: true`` deletes every node the target selects;
* ``update`` is merged into every selected node: objects merge recursively,
  scalars are replaced, and an update aimed at an array is appended to it.

After the actions, :func:`hoist_components` consumes two extensions:

* ``x-kling-component: Name`` moves an inline schema to
  ``#/components/schemas/Name`` and leaves a ``$ref`` in its place, so an inline
  upstream schema becomes a shared component without being copied into the
  overlay (an upstream change to it still flows through);
* ``x-kling-open-enum: true`` on such a schema makes every place that refers to
  it accept any other string as well (``anyOf: [$ref, string]``), so a status
  the spec does not list yet is kept rather than breaking every client.
"""

from __future__ import annotations

import copy
from typing import Any

from kling_spec import SpecError

from ._check import Unmatched

COMPONENT_MARK = "x-kling-component"
OPEN_ENUM_MARK = "x-kling-open-enum"


def apply_overlay(
    document: dict[str, Any], overlay: dict[str, Any], *, unmatched: list[Unmatched] | None = None
) -> dict[str, Any]:
    """Return a copy of ``document`` with every action of ``overlay`` applied, in order.

    An action whose target selects nothing fails the whole call, unless ``unmatched``
    is given: then each such action is skipped and recorded there, with the first
    step of its target that found nothing, so every broken target can be reported.
    """
    # jsonpath-ng comes with the tooling's extra; its parser alone takes a tenth of a
    # second to import, so only resolving pays for it.
    from jsonpath_ng.ext.parser import parse as parse_jsonpath

    if not str(overlay.get("overlay", "")).startswith("1."):
        raise SpecError("not an OpenAPI Overlay 1.x document (no 'overlay: 1.x' field)")
    result = copy.deepcopy(document)
    for number, action in enumerate(overlay.get("actions", []), start=1):
        target = action.get("target")
        if not isinstance(target, str):
            raise SpecError(f"overlay action {number} has no JSONPath target")
        matches = parse_jsonpath(target).find(result)
        if not matches:
            # A target that selects nothing usually means upstream moved the node;
            # failing here is what keeps an overlay addition from vanishing silently.
            if unmatched is None:
                raise SpecError(f"overlay action {number}: target {target!r} selects nothing")
            unmatched.append(
                Unmatched(number, target, _first_missing(parse_jsonpath(target), result))
            )
            continue
        if action.get("remove") is True:
            for match in reversed(matches):
                _remove(match)
        elif "update" in action:
            for match in matches:
                _merge_into(match.value, copy.deepcopy(action["update"]), target)
        else:
            raise SpecError(f"overlay action {number} has neither 'update' nor 'remove: true'")
    return result


def _first_missing(expression: Any, document: Any) -> str:
    """The step of a JSONPath expression after which it selects nothing."""
    from jsonpath_ng import Child

    while isinstance(expression, Child) and not expression.left.find(document):
        expression = expression.left
    step = expression.right if isinstance(expression, Child) else expression
    return str(step)


def _remove(match: Any) -> None:
    parent = match.context.value if match.context is not None else None
    path = match.path
    if parent is None:
        raise SpecError("an overlay action may not remove the document root")
    if isinstance(parent, list):
        for index in sorted(path.indices, reverse=True):
            del parent[index]
    else:
        for field in path.fields:
            parent.pop(field, None)


def _merge_into(node: Any, update: Any, target: str) -> None:
    if isinstance(node, list):
        node.append(update)
        return
    if not isinstance(node, dict) or not isinstance(update, dict):
        raise SpecError(f"update for {target!r} must be an object merged into an object or array")
    for key, value in update.items():
        if isinstance(node.get(key), dict) and isinstance(value, dict):
            _merge_into(node[key], value, target)
        else:
            node[key] = value


def hoist_components(document: dict[str, Any]) -> dict[str, Any]:
    """Move every schema marked ``x-kling-component`` into ``components.schemas``."""
    result = copy.deepcopy(document)
    hoisted: dict[str, Any] = {}
    open_enums: set[str] = set()

    def visit(node: Any) -> Any:
        if isinstance(node, list):
            return [visit(item) for item in node]
        if not isinstance(node, dict):
            return node
        visited = {key: visit(value) for key, value in node.items()}
        name = visited.pop(COMPONENT_MARK, None)
        if name is None:
            return visited
        if visited.pop(OPEN_ENUM_MARK, False):
            open_enums.add(name)
        if name in hoisted and hoisted[name] != visited:
            raise SpecError(f"two different schemas are marked {COMPONENT_MARK}: {name}")
        hoisted[name] = visited
        return {"$ref": f"#/components/schemas/{name}"}

    result = visit(result)
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in hoisted.items():
        if name in schemas:
            raise SpecError(f"component {name} is both hoisted and defined in components")
        schemas[name] = schema
    if open_enums:
        result = _open_enum_refs(result, open_enums)
    return dict(sorted_components(result))


def _open_enum_refs(document: dict[str, Any], names: set[str]) -> dict[str, Any]:
    refs = {f"#/components/schemas/{name}" for name in names}

    def visit(node: Any) -> Any:
        if isinstance(node, list):
            return [visit(item) for item in node]
        if not isinstance(node, dict):
            return node
        if node.get("$ref") in refs and len(node) == 1:
            return {"anyOf": [node, {"type": "string"}]}
        return {key: visit(value) for key, value in node.items()}

    return visit(document)  # type: ignore[no-any-return]


def sorted_components(document: dict[str, Any]) -> dict[str, Any]:
    """Order each components section by name, so the output never depends on action order."""
    components = document.get("components")
    if isinstance(components, dict):
        document["components"] = {
            section: dict(sorted(entries.items())) if isinstance(entries, dict) else entries
            for section, entries in components.items()
        }
    return document
