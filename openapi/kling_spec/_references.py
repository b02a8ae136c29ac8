"""Every name the runtime reads from the resolved spec, checked before it is read.

``x-kling-constraints`` names request fields (``expansion.vertical`` lists the
up and down ratio fields, ``image.field`` the image field, ...), and the runtime
reads bounds, query parameters and error tables at fixed places. A spec in which
one of them is missing (an upstream rename the overlay has not followed, a file
edited by hand) is refused here with every broken reference named, instead of a
``KeyError`` deep inside whatever read it first.

>>> from kling_spec import load_resolved_spec
>>> broken_references(load_resolved_spec())
[]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import SpecError
from ._paths import CREATE_PATH

CONSTRAINTS_KEY = "x-kling-constraints"
_REQUEST = f"POST {CREATE_PATH} request body"
_LIST = f"GET {CREATE_PATH}"

# What each entry of x-kling-constraints must hold: (entry, key) -> the key's kind.
# "field" keys name a property of the create request; the rest are plain values.
_CONSTRAINT_KEYS: tuple[tuple[str, str, str], ...] = (
    ("image", "field", "field"),
    ("image", "formats", "value"),
    ("image", "max_bytes", "value"),
    ("image", "min_side_px", "value"),
    ("image", "aspect_ratio", "value"),
    ("expansion", "vertical", "fields"),
    ("expansion", "horizontal", "fields"),
    ("expansion", "max_area_factor", "value"),
    ("prompt", "field", "field"),
    ("prompt", "max_length", "value"),
    ("n", "field", "bounded field"),
    ("watermark", "field", "field"),
    ("watermark", "enabled", "value"),
    ("callback", "field", "field"),
    ("external_task_id", "field", "field"),
)
# The list operation's query parameters the SDK and the mock use, by the name the
# spec gives each (the overlay defines the operation), with the keys each must state.
PAGE_NUM = "pageNum"
PAGE_SIZE = "pageSize"
EXTERNAL_ID = "external_task_id"
_LIST_PARAMETERS: Mapping[str, tuple[str, ...]] = {
    PAGE_NUM: ("default", "minimum", "maximum"),
    PAGE_SIZE: ("default", "minimum", "maximum"),
    EXTERNAL_ID: (),
}
# Components the runtime reads, and the key each must carry.
_COMPONENTS: Mapping[str, str] = {
    "ErrorEnvelope": "x-kling-error-codes",
    "GatewayError": "x-cometapi-retryable-statuses",
}


@dataclass(frozen=True)
class BrokenReference:
    """A name that ``entry`` uses and the spec does not have.

    ``name`` is the missing name itself (a field, a key, a component), ``where`` the
    place it was looked for, so a tool can match it against a structural diff.
    """

    entry: str
    name: str
    where: str

    def __str__(self) -> str:
        return f"{self.entry} names {self.name!r}, which {self.where} does not have"


def broken_references(spec: Mapping[str, Any]) -> list[BrokenReference]:
    """Every reference the runtime would follow in ``spec`` and find nothing at."""
    return [
        *_server_references(spec),
        *_request_references(spec),
        *_list_references(spec),
        *_component_references(spec),
    ]


def raise_if_broken(spec: Mapping[str, Any]) -> None:
    """Refuse ``spec`` with one clear error naming every broken reference."""
    broken = broken_references(spec)
    if broken:
        raise SpecError(
            "the resolved spec is inconsistent ("
            + "; ".join(map(str, broken))
            + "): rebuild it with `kling-spec resolve`, which names what to fix in the overlay"
        )


def resolve_ref(spec: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local ``$ref`` pointers until a node without one is reached."""
    seen: set[str] = set()
    while "$ref" in node:
        ref = str(node["$ref"])
        if not ref.startswith("#/") or ref in seen:
            raise SpecError(f"cannot follow $ref {ref!r}")
        seen.add(ref)
        target: Any = spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                raise SpecError(f"$ref {ref!r} points at nothing in the spec")
            target = target[part]
        node = target
    return node


def follow_ref(spec: Mapping[str, Any], node: Any) -> Any:
    """``node``, or what its local ``$ref`` points at (None when that is nothing)."""
    if not isinstance(node, Mapping):
        return node
    try:
        return resolve_ref(spec, node)
    except SpecError:
        return None


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _server_references(spec: Mapping[str, Any]) -> Iterator[BrokenReference]:
    servers = spec.get("servers")
    if not servers or not isinstance(_get(servers[0], "url"), str):
        yield BrokenReference(
            "the runtime (the SDK's default base URL)", "servers[0].url", "the spec"
        )


def request_schema_or_none(spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The create operation's JSON request schema, references followed, if it has one."""
    body = follow_ref(spec, _get(spec, "paths", CREATE_PATH, "post", "requestBody"))
    schema = follow_ref(spec, _get(body, "content", "application/json", "schema"))
    return schema if isinstance(schema, Mapping) else None


def _request_references(spec: Mapping[str, Any]) -> Iterator[BrokenReference]:
    schema = request_schema_or_none(spec)
    if schema is None:
        yield BrokenReference("the runtime", f"POST {CREATE_PATH}", "a JSON request body of paths")
        return
    extra = schema.get(CONSTRAINTS_KEY)
    if not isinstance(extra, Mapping):
        yield BrokenReference("the runtime", CONSTRAINTS_KEY, "the create request's schema")
        return
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    for entry, key, kind in _CONSTRAINT_KEYS:
        where = f"{CONSTRAINTS_KEY}.{entry}"
        value = _get(extra, entry, key)
        if value is None:
            yield BrokenReference(f"the runtime ({where})", key, where)
        elif kind == "fields":
            if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
                yield BrokenReference(f"{where}.{key}", str(value), "a list of two field names")
                continue
            for index, name in enumerate(value):
                yield from _field(spec, properties, f"{where}.{key}[{index}]", name, bounded=True)
        elif kind != "value":
            bounded = kind == "bounded field"
            yield from _field(spec, properties, f"{where}.{key}", value, bounded=bounded)
    watermark = follow_ref(spec, properties.get(str(_get(extra, "watermark", "field"))))
    enabled = _get(extra, "watermark", "enabled")
    if isinstance(watermark, Mapping) and enabled is not None:
        inner = watermark.get("properties")
        if not isinstance(inner, Mapping) or enabled not in inner:
            field = _get(extra, "watermark", "field")
            yield BrokenReference(
                f"{CONSTRAINTS_KEY}.watermark.enabled", str(enabled), f"{_REQUEST}.{field}"
            )


def _field(
    spec: Mapping[str, Any], properties: Mapping[str, Any], entry: str, name: Any, *, bounded: bool
) -> Iterator[BrokenReference]:
    schema = follow_ref(spec, properties.get(name)) if isinstance(name, str) else None
    if not isinstance(schema, Mapping):
        yield BrokenReference(entry, str(name), _REQUEST)
        return
    for key in ("minimum", "maximum") if bounded else ():
        if key not in schema:
            yield BrokenReference(f"{entry} ({name})", key, f"{_REQUEST}.{name}")


def _list_references(spec: Mapping[str, Any]) -> Iterator[BrokenReference]:
    operation = _get(spec, "paths", CREATE_PATH, "get")
    if not isinstance(operation, Mapping):
        yield BrokenReference("the runtime (ListQuery)", _LIST, "paths")
        return
    by_name: dict[str, Any] = {}
    for parameter in operation.get("parameters") or ():
        parameter = follow_ref(spec, parameter)
        if isinstance(parameter, Mapping) and parameter.get("in") == "query":
            by_name[str(parameter.get("name"))] = follow_ref(spec, parameter.get("schema", {}))
    for name, keys in _LIST_PARAMETERS.items():
        if name not in by_name:
            yield BrokenReference("the runtime (ListQuery)", name, f"{_LIST} query parameters")
            continue
        for key in keys:
            if _get(by_name[name], key) is None:
                yield BrokenReference(f"the runtime (ListQuery {name})", key, f"{_LIST} {name}")


def _component_references(spec: Mapping[str, Any]) -> Iterator[BrokenReference]:
    schemas = _get(spec, "components", "schemas")
    for name, key in _COMPONENTS.items():
        schema = follow_ref(spec, _get(schemas, name))
        if not isinstance(schema, Mapping):
            yield BrokenReference("the runtime", name, "components.schemas")
        elif key not in schema:
            yield BrokenReference(f"the runtime ({name})", key, f"components.schemas.{name}")
