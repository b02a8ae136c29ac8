"""Overlay 1.0 semantics and the resolver's two extensions."""

from typing import Any

import pytest

from kling_spec import SpecError
from kling_spec_tools import apply_overlay, hoist_components


def overlay_of(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": list(actions)}


def test_update_merges_objects_recursively_and_replaces_scalars() -> None:
    document = {"a": {"b": 1, "c": {"d": 2}}}

    result = apply_overlay(
        document, overlay_of({"target": "$.a", "update": {"b": 9, "c": {"e": 3}}})
    )

    assert result == {"a": {"b": 9, "c": {"d": 2, "e": 3}}}
    assert document == {"a": {"b": 1, "c": {"d": 2}}}, "the input is never modified"


def test_update_aimed_at_an_array_appends_to_it() -> None:
    result = apply_overlay({"tags": ["x"]}, overlay_of({"target": "$.tags", "update": {"n": 1}}))

    assert result == {"tags": ["x", {"n": 1}]}


def test_remove_deletes_every_selected_node() -> None:
    document = {"params": [{"name": "Content-Type"}, {"name": "keep"}, {"name": "Content-Type"}]}

    result = apply_overlay(
        document,
        overlay_of({"target": "$.params[?(@.name=='Content-Type')]", "remove": True}),
    )

    assert result == {"params": [{"name": "keep"}]}


def test_a_target_that_selects_nothing_fails_loudly() -> None:
    with pytest.raises(SpecError, match="selects nothing"):
        apply_overlay({"a": 1}, overlay_of({"target": "$.gone", "update": {"x": 1}}))


def test_an_action_without_update_or_remove_is_refused() -> None:
    with pytest.raises(SpecError, match="neither"):
        apply_overlay({"a": {}}, overlay_of({"target": "$.a"}))


def test_a_document_that_is_not_an_overlay_is_refused() -> None:
    with pytest.raises(SpecError, match="Overlay"):
        apply_overlay({}, {"actions": []})


def test_a_marked_inline_schema_is_hoisted_into_components_and_referenced() -> None:
    inline = {"type": "object", "properties": {"x": {"type": "string"}}}
    document = {"paths": {"/p": {"schema": {**inline, "x-kling-component": "Thing"}}}}

    result = hoist_components(document)

    assert result["paths"]["/p"]["schema"] == {"$ref": "#/components/schemas/Thing"}
    assert result["components"]["schemas"]["Thing"] == inline


def test_an_open_enum_is_referenced_as_any_of_the_enum_or_a_string() -> None:
    enum = {"type": "string", "enum": ["a"], "x-kling-component": "E", "x-kling-open-enum": True}

    result = hoist_components({"p": {"status": enum}})

    assert result["p"]["status"] == {
        "anyOf": [{"$ref": "#/components/schemas/E"}, {"type": "string"}]
    }
    assert result["components"]["schemas"]["E"] == {"type": "string", "enum": ["a"]}


def test_two_different_schemas_under_one_component_name_are_refused() -> None:
    document = {
        "a": {"type": "string", "x-kling-component": "Same"},
        "b": {"type": "integer", "x-kling-component": "Same"},
    }

    with pytest.raises(SpecError, match="Same"):
        hoist_components(document)
