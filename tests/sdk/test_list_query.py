"""The list operation's query, as the SDK reads it: through kling_spec.ListQuery."""

from __future__ import annotations

import copy

import pytest

from kling_spec import CREATE_PATH, ListQuery, SpecError, load_resolved_spec


def test_the_list_query_is_the_specs_list_parameters():
    spec = load_resolved_spec()
    schemas = {p["name"]: p["schema"] for p in spec["paths"][CREATE_PATH]["get"]["parameters"]}
    query = ListQuery.from_spec()
    assert query.names == frozenset(schemas)
    for parameter in (query.page_num, query.page_size):
        schema = schemas[parameter.name]
        assert (parameter.default, parameter.minimum, parameter.maximum) == (
            schema["default"],
            schema["minimum"],
            schema["maximum"],
        )


def test_the_list_query_follows_a_changed_spec():
    spec = copy.deepcopy(load_resolved_spec())
    for parameter in spec["paths"][CREATE_PATH]["get"]["parameters"]:
        if parameter["name"] == ListQuery.from_spec().page_size.name:
            parameter["schema"]["default"] = 7
    assert ListQuery.from_spec(spec).page_size.default == 7


def test_a_spec_without_the_paging_parameters_is_a_spec_error():
    spec = copy.deepcopy(load_resolved_spec())
    spec["paths"][CREATE_PATH]["get"]["parameters"] = []
    with pytest.raises(SpecError, match="list operation"):
        ListQuery.from_spec(spec)


def test_the_sdk_reads_the_paging_parameters_from_the_list_query_not_the_raw_spec():
    import ast
    from pathlib import Path

    import kling_expand

    query = ListQuery.from_spec()
    paging = {query.page_num.name, query.page_size.name}
    for module in Path(kling_expand.__file__).parent.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
        assert not strings & paging, module.name
