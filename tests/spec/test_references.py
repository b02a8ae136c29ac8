"""The runtime names a broken reference in a spec it is handed, never a KeyError."""

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kling_spec import (
    ExpandConstraints,
    ListQuery,
    SpecError,
    broken_references,
    load_resolved_spec,
    request_schema_of,
    resolve_ref,
)


@pytest.fixture
def spec() -> dict[str, Any]:
    return copy.deepcopy(load_resolved_spec())


def rename_property(spec: dict[str, Any], old: str, new: str) -> None:
    properties = request_schema_of(spec)["properties"]
    properties[new] = properties.pop(old)


def test_the_shipped_spec_has_no_broken_reference(spec) -> None:
    assert broken_references(spec) == []


def test_a_ratio_field_the_constraints_name_but_the_request_lacks_is_named(spec) -> None:
    down = ExpandConstraints.from_spec(spec).vertical_fields[1]
    rename_property(spec, down, "bottom_expansion_ratio")

    with pytest.raises(SpecError) as raised:
        ExpandConstraints.from_spec(spec)

    message = str(raised.value)
    assert f"x-kling-constraints.expansion.vertical[1] names {down!r}" in message
    assert "kling-spec resolve" in message
    assert not isinstance(raised.value, KeyError)


def test_every_role_field_is_checked_not_only_the_first(spec) -> None:
    c = ExpandConstraints.from_spec(spec)
    for name in (c.n_field, c.callback_field):
        rename_property(spec, name, name + "_renamed")

    names = [ref.name for ref in broken_references(spec)]

    assert names == [c.n_field, c.callback_field]


def test_a_ratio_field_without_bounds_names_the_missing_bound(spec) -> None:
    up = ExpandConstraints.from_spec(spec).vertical_fields[0]
    del request_schema_of(spec)["properties"][up]["maximum"]

    with pytest.raises(SpecError, match=f"names 'maximum', which .*{up} does not have"):
        ExpandConstraints.from_spec(spec)


def test_a_missing_list_query_parameter_is_named(spec) -> None:
    page_size = ListQuery.from_spec(spec).page_size.name
    operation = spec["paths"]["/kling/v1/images/editing/expand"]["get"]
    operation["parameters"] = [p for p in operation["parameters"] if p["name"] != page_size]

    assert [ref.name for ref in broken_references(spec)] == [page_size]


def test_a_dangling_ref_is_a_spec_error_naming_it(spec) -> None:
    with pytest.raises(SpecError, match="'#/components/schemas/Nope' points at nothing"):
        resolve_ref(spec, {"$ref": "#/components/schemas/Nope"})


def run_with_spec(path: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {"KLING_RESOLVED_SPEC": str(path), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )


def test_kling_resolved_spec_makes_the_default_readers_use_another_spec(spec, tmp_path) -> None:
    expansion = request_schema_of(spec)["x-kling-constraints"]["expansion"]
    lower = expansion["max_area_factor"] - 0.5
    expansion["max_area_factor"] = lower
    path = tmp_path / "other.json"
    path.write_text(json.dumps(spec))

    result = run_with_spec(
        path, "from kling_spec import ExpandConstraints as C; print(C.from_spec().max_area_factor)"
    )

    assert float(result.stdout) == lower, result.stderr


def test_kling_resolved_spec_naming_a_broken_spec_fails_with_the_reference(spec, tmp_path) -> None:
    down = ExpandConstraints.from_spec(spec).vertical_fields[1]
    rename_property(spec, down, "bottom_expansion_ratio")
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(spec))

    result = run_with_spec(
        path,
        "from kling_spec import ExpandConstraints, SpecError\n"
        "try:\n    ExpandConstraints.from_spec()\n"
        "except SpecError as exc:\n    print(exc)",
    )

    assert f"vertical[1] names {down!r}" in result.stdout, result.stderr


def test_kling_resolved_spec_naming_no_file_is_a_spec_error(tmp_path, monkeypatch) -> None:
    from kling_spec import resolved_spec_path

    monkeypatch.setenv("KLING_RESOLVED_SPEC", str(tmp_path / "none.json"))

    with pytest.raises(SpecError, match="KLING_RESOLVED_SPEC names .*none.json"):
        resolved_spec_path()
