"""A structural diff of two specs: operations, fields and bounds, each marked breaking or not.

"Breaking" is judged from a client's side: something it sends may now be refused,
or something it reads may now be missing or of another shape.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kling_spec._references import follow_ref

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Bounds that, when they grow, admit more (loosen) and when they shrink refuse more.
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")


def _resolve(spec: Mapping[str, Any], node: Any) -> Mapping[str, Any]:
    """What ``node`` refers to; ``{}`` for a dangling reference, so a broken spec still diffs."""
    found = follow_ref(spec, node)
    return found if isinstance(found, Mapping) else {}


@dataclass(frozen=True)
class SpecChange:
    """One difference between two specs."""

    where: str
    what: str
    breaking: bool

    def __str__(self) -> str:
        mark = "BREAKING" if self.breaking else "compatible"
        return f"[{mark}] {self.where}: {self.what}"


def diff_specs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[SpecChange]:
    """Every operation, field and bound that differs between ``old`` and ``new``."""
    changes: list[SpecChange] = []
    old_servers, new_servers = _server_urls(old), _server_urls(new)
    if old_servers != new_servers:
        # Clients built from the old copy still call the old host.
        changes.append(SpecChange("servers", f"{old_servers} -> {new_servers}", True))
    old_ops, new_ops = dict(_operations(old)), dict(_operations(new))
    for op in sorted(old_ops.keys() - new_ops.keys()):
        changes.append(SpecChange(op, "operation removed", True))
    for op in sorted(new_ops.keys() - old_ops.keys()):
        changes.append(SpecChange(op, "operation added", False))
    for op in sorted(old_ops.keys() & new_ops.keys()):
        old_fields = dict(_fields(old, old_ops[op]))
        new_fields = dict(_fields(new, new_ops[op]))
        for name in sorted(old_fields.keys() | new_fields.keys()):
            where = f"{op} {name}"
            changes.extend(_field_changes(where, old_fields.get(name), new_fields.get(name)))
    return changes


def _server_urls(spec: Mapping[str, Any]) -> list[Any]:
    servers = spec.get("servers") or []
    return [server.get("url") if isinstance(server, Mapping) else server for server in servers]


def _operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def _fields(spec: Mapping[str, Any], op: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Flatten an operation into ``request.x.y`` / ``response 200.x`` / ``param q`` fields."""
    for param in op.get("parameters", []):
        param = _resolve(spec, param)
        facts = _facts(spec, param.get("schema", {}), param.get("required", False), "request")
        yield f"{param.get('in', '?')} parameter {param.get('name')}", facts
    body = op.get("requestBody")
    if body:
        schema = _resolve(spec, body).get("content", {}).get("application/json", {}).get("schema")
        if schema:
            yield from _schema_fields(spec, schema, "request body", True, "request", set())
    for status, response in op.get("responses", {}).items():
        response = _resolve(spec, response)
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema:
            yield from _schema_fields(spec, schema, f"response {status}", True, "response", set())
        else:
            yield f"response {status}", {"side": "response", "required": True}


def _schema_fields(
    spec: Mapping[str, Any],
    schema: Mapping[str, Any],
    name: str,
    required: bool,
    side: str,
    seen: set[str],
) -> Iterator[tuple[str, dict[str, Any]]]:
    ref = schema.get("$ref")
    if ref in seen:
        return
    seen = seen | {ref} if ref else seen
    schema = _resolve(spec, schema)
    yield name, _facts(spec, schema, required, side)
    required_names = set(schema.get("required", []))
    for child, child_schema in schema.get("properties", {}).items():
        yield from _schema_fields(
            spec, child_schema, f"{name}.{child}", child in required_names, side, seen
        )
    for keyword in ("oneOf", "anyOf", "allOf"):
        for index, option in enumerate(schema.get(keyword, [])):
            yield from _schema_fields(
                spec, option, f"{name}<{keyword}[{index}]>", required, side, seen
            )
    if "items" in schema:
        yield from _schema_fields(spec, schema["items"], f"{name}[]", required, side, seen)


def _facts(
    spec: Mapping[str, Any], schema: Mapping[str, Any], required: bool, side: str
) -> dict[str, Any]:
    schema = _resolve(spec, schema)
    facts: dict[str, Any] = {"side": side, "required": bool(required)}
    for key in ("type", "format", "enum", "default", *_UPPER_BOUNDS, *_LOWER_BOUNDS):
        if key in schema:
            facts[key] = schema[key]
    if "x-kling-constraints" in schema:
        facts["x-kling-constraints"] = schema["x-kling-constraints"]
    return facts


def _field_changes(
    where: str, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> Iterator[SpecChange]:
    if old is None and new is not None:
        # A new required request field breaks every caller; anything else is additive.
        breaking = new["side"] == "request" and new["required"]
        kind = "required" if new["required"] else "optional"
        yield SpecChange(where, f"{kind} field added", breaking)
        return
    if new is None and old is not None:
        yield SpecChange(where, "field removed", True)
        return
    assert old is not None and new is not None
    side = new["side"]
    if old["required"] != new["required"]:
        now = "required" if new["required"] else "optional"
        # A request field turning required, or a response field turning optional, breaks callers.
        breaking = new["required"] if side == "request" else not new["required"]
        yield SpecChange(where, f"now {now}", breaking)
    for key in ("type", "format"):
        if old.get(key) != new.get(key):
            yield SpecChange(where, f"{key} {old.get(key)!r} -> {new.get(key)!r}", True)
    if old.get("enum") != new.get("enum"):
        added = [v for v in new.get("enum") or [] if v not in (old.get("enum") or [])]
        removed = [v for v in old.get("enum") or [] if v not in (new.get("enum") or [])]
        # Requests break when values go away; responses break when unknown values appear.
        breaking = bool(removed) if side == "request" else bool(added)
        yield SpecChange(where, f"enum added {added} removed {removed}", breaking)
    if old.get("default") != new.get("default"):
        yield SpecChange(where, f"default {old.get('default')!r} -> {new.get('default')!r}", False)
    for key in (*_UPPER_BOUNDS, *_LOWER_BOUNDS):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        yield SpecChange(
            where, f"{key} {before!r} -> {after!r}", _bound_breaks(key, before, after, side)
        )
    if old.get("x-kling-constraints") != new.get("x-kling-constraints"):
        yield SpecChange(where, "x-kling-constraints changed", True)


def _bound_breaks(key: str, before: Any, after: Any, side: str) -> bool:
    if before is None or after is None:
        # A bound appearing narrows; a bound going away widens.
        narrows = after is not None
    elif key in _UPPER_BOUNDS:
        narrows = after < before
    else:
        narrows = after > before
    # Narrowing what the server accepts breaks senders; widening what it returns breaks readers.
    return narrows if side == "request" else not narrows
