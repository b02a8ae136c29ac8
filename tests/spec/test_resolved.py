"""The resolved spec: what the overlay adds, its validity, and how it survives upstream changes."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from kling_spec import CREATE_PATH, TASK_PATH, load_resolved_spec
from kling_spec_tools import SpecFiles, _files, build_resolved, diff_specs

CHECKOUT = SpecFiles.in_folder(Path(__file__).resolve().parents[2] / "openapi")

ERROR_STATUSES = {"400", "401", "403", "404", "429", "500", "503", "504"}


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    return load_resolved_spec()


def write_upstream(tmp_path: Path, document: dict[str, Any]) -> Path:
    """Vendor ``document`` as an upstream copy in ``tmp_path``, digest and all."""
    path = tmp_path / CHECKOUT.upstream.name
    data = yaml.safe_dump(document, sort_keys=False).encode()
    path.write_bytes(data)
    _files.digest_path(path).write_text(f"{_files.sha256_of(data)}  {path.name}\n")
    return path


def test_committed_resolved_files_are_what_upstream_and_overlay_produce(resolved) -> None:
    fresh = build_resolved(CHECKOUT)

    assert fresh == resolved
    assert CHECKOUT.resolved_yaml.read_text() == _files.dump_yaml(fresh)
    assert yaml.safe_load(CHECKOUT.resolved_yaml.read_text()) == resolved


def test_resolved_spec_passes_openapi_spec_validator(resolved) -> None:
    validate(resolved)


def test_resolved_spec_adds_the_get_and_list_operations(resolved) -> None:
    get = resolved["paths"][TASK_PATH]["get"]
    listing = resolved["paths"][CREATE_PATH]["get"]

    assert [p["name"] for p in get["parameters"]] == ["task_id"]
    assert {p["name"] for p in listing["parameters"]} >= {"pageNum", "pageSize"}


def test_all_three_operations_share_the_task_record(resolved) -> None:
    def ok_schema(op: dict[str, Any]) -> dict[str, Any]:
        return op["responses"]["200"]["content"]["application/json"]["schema"]

    create = resolved["paths"][CREATE_PATH]["post"]
    get = resolved["paths"][TASK_PATH]["get"]
    listing = resolved["paths"][CREATE_PATH]["get"]
    schemas = resolved["components"]["schemas"]

    assert ok_schema(create) == ok_schema(get) == {"$ref": "#/components/schemas/TaskEnvelope"}
    assert schemas["TaskEnvelope"]["properties"]["data"] == {
        "$ref": "#/components/schemas/TaskRecord"
    }
    list_schema = schemas[ok_schema(listing)["$ref"].rsplit("/", 1)[1]]
    assert list_schema["properties"]["data"]["items"] == {"$ref": "#/components/schemas/TaskRecord"}
    record = schemas["TaskRecord"]["properties"]
    assert {
        "task_result",
        "final_unit_deduction",
        "final_balance_deduction",
        "watermark_info",
    } <= set(record)
    assert set(schemas["TaskImage"]["properties"]) == {"index", "url", "watermark_url"}


def test_every_operation_documents_the_kling_error_responses(resolved) -> None:
    for path, item in resolved["paths"].items():
        for method, op in item.items():
            documented = set(op["responses"])
            expected = ERROR_STATUSES - (
                {"404"} if (path, method) == (CREATE_PATH, "get") else set()
            )
            assert expected <= documented, f"{method.upper()} {path} lacks {expected - documented}"


def test_create_response_links_its_task_id_to_the_get_operation(resolved) -> None:
    link = resolved["paths"][CREATE_PATH]["post"]["responses"]["200"]["links"]["GetTask"]

    assert link["operationId"] == resolved["paths"][TASK_PATH]["get"]["operationId"]
    assert link["parameters"] == {"task_id": "$response.body#/data/task_id"}


def test_content_type_header_parameter_is_removed(resolved) -> None:
    parameters = resolved["paths"][CREATE_PATH]["post"].get("parameters", [])
    assert "content-type" not in {p["name"].lower() for p in parameters}


def test_request_schema_carries_machine_readable_constraints(resolved) -> None:
    constraints = resolved["components"]["schemas"]["ExpandImageRequest"]["x-kling-constraints"]

    assert set(constraints) >= {"image", "expansion", "prompt"}
    assert set(constraints["image"]) >= {"formats", "max_bytes", "min_side_px", "aspect_ratio"}
    assert "max_area_factor" in constraints["expansion"]


def test_a_second_unrelated_generator_accepts_the_resolved_spec(tmp_path: Path) -> None:
    output = tmp_path / "models.py"
    subprocess.run(
        [
            Path(sys.executable).with_name("datamodel-codegen"),
            "--input",
            CHECKOUT.resolved_yaml,
            "--input-file-type",
            "openapi",
            "--output",
            output,
            "--output-model-type",
            "pydantic_v2.BaseModel",
        ],
        check=True,
        capture_output=True,
    )

    assert "class TaskRecord" in output.read_text()
    assert "class ExpandImageRequest" in output.read_text()


def test_upstream_changes_flow_through_and_every_overlay_addition_is_kept(
    tmp_path: Path, make_upstream, resolved
) -> None:
    # Given an upstream copy with a changed description and new optional fields
    upstream = make_upstream()
    op = upstream["paths"][CREATE_PATH]["post"]
    request = op["requestBody"]["content"]["application/json"]["schema"]
    request["properties"]["image"]["description"] = "A brand new description."
    request["properties"]["seed"] = {"type": "integer", "description": "New optional field."}
    data = op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"]
    data["properties"]["queue_position"] = {"type": "integer"}

    # When it is resolved with the unchanged overlay
    changed = build_resolved(replace(CHECKOUT, upstream=write_upstream(tmp_path, upstream)))

    # Then the changes are there, and nothing else differs
    schemas = changed["components"]["schemas"]
    assert (
        schemas["ExpandImageRequest"]["properties"]["image"]["description"]
        == "A brand new description."
    )
    changes = {(c.where, c.what) for c in diff_specs(resolved, changed)}
    assert changes == {
        (f"POST {CREATE_PATH} request body.seed", "optional field added"),
        (f"POST {CREATE_PATH} response 200.data.queue_position", "optional field added"),
        (f"GET {TASK_PATH} response 200.data.queue_position", "optional field added"),
        (f"GET {CREATE_PATH} response 200.data[].queue_position", "optional field added"),
    }
    assert {
        k: v for k, v in schemas.items() if k != "ExpandImageRequest" and k != "TaskRecord"
    } == {
        k: v
        for k, v in resolved["components"]["schemas"].items()
        if k != "ExpandImageRequest" and k != "TaskRecord"
    }
    assert changed["paths"].keys() == resolved["paths"].keys()

    # And the generator picks the new fields up
    spec_file = tmp_path / "resolved.yaml"
    spec_file.write_text(_files.dump_yaml(changed))
    package = tmp_path / "client"
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            bin_dir / "openapi-python-client",
            "generate",
            "--path",
            spec_file,
            "--config",
            CHECKOUT.overlay.parent / "generator.yaml",
            "--meta",
            "none",
            "--output-path",
            package,
        ],
        check=True,
        capture_output=True,
        env={"PATH": str(bin_dir)},
    )
    assert "seed: int | Unset" in (package / "models" / "expand_image_request.py").read_text()
    assert "queue_position: int | Unset" in (package / "models" / "task_record.py").read_text()


def test_an_upstream_parameter_other_than_content_type_flows_through(
    tmp_path: Path, make_upstream
) -> None:
    # Given upstream adds an optional header beside its Content-Type parameter
    upstream = make_upstream()
    op = upstream["paths"][CREATE_PATH]["post"]
    op["parameters"].append(
        {"name": "X-Trace-Id", "in": "header", "required": False, "schema": {"type": "string"}}
    )

    # When it is resolved with the unchanged overlay
    changed = build_resolved(replace(CHECKOUT, upstream=write_upstream(tmp_path, upstream)))

    # Then only Content-Type is gone
    names = [p["name"] for p in changed["paths"][CREATE_PATH]["post"]["parameters"]]
    assert names == ["X-Trace-Id"]
