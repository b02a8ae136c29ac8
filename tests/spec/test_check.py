"""`kling-spec resolve` checks every reference and refuses, one line each, naming what to fix."""

import subprocess
import sys
from pathlib import Path

from kling_spec_tools._cli import main

CHECKOUT_ROOT = Path(__file__).resolve().parents[2] / "openapi"


def edit_overlay(root: Path, old: str, new: str) -> None:
    path = root / "overlay.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def resolve_errors(root: Path, capsys) -> list[str]:
    assert main(["--root", str(root), "resolve"]) == 1
    err = capsys.readouterr().err
    assert "nothing written" in err
    assert not (root / "kling-image-expansion.json").exists()
    return [line for line in err.splitlines() if line.startswith("error:")]


def test_a_ref_to_a_component_nobody_defines_is_named(spec_folder: Path, capsys) -> None:
    edit_overlay(
        spec_folder,
        "$ref: '#/components/schemas/BalanceDeduction'",
        "$ref: '#/components/schemas/Deduction'",
    )

    [line] = resolve_errors(spec_folder, capsys)

    assert "$ref '#/components/schemas/Deduction' points at nothing" in line
    assert "no earlier resolved spec to compare with" in line


def test_a_link_to_an_operation_id_nobody_has_is_named(spec_folder: Path, capsys) -> None:
    edit_overlay(
        spec_folder,
        "operationId: get_image_expansion_task\n          parameters:\n            task_id:",
        "operationId: get_task\n          parameters:\n            task_id:",
    )

    [line] = resolve_errors(spec_folder, capsys)

    assert "links.GetTask" in line and "no operation has id 'get_task'" in line


def test_every_broken_target_is_reported_not_only_the_first(spec_folder: Path, capsys) -> None:
    edit_overlay(spec_folder, "properties.callback_url\n", "properties.callback\n")
    edit_overlay(spec_folder, "properties.watermark_info\n", "properties.watermark\n")

    watermark, callback, *consequences = resolve_errors(spec_folder, capsys)

    assert "its target selects nothing: no 'watermark'" in watermark
    assert "its target selects nothing: no 'callback'" in callback
    # The skipped action would have made the WatermarkInfo component, so its $ref dangles.
    assert ["WatermarkInfo" in line for line in consequences] == [True]


def test_a_role_naming_a_field_the_request_lacks_is_named(spec_folder: Path, capsys) -> None:
    edit_overlay(spec_folder, "field: prompt\n", "field: text_prompt\n")

    [line] = resolve_errors(spec_folder, capsys)

    assert line.startswith("error: overlay action 3 (x-kling-constraints.prompt.field):")
    assert "'text_prompt' is not in POST" in line


def test_the_command_fails_without_a_traceback(spec_folder: Path) -> None:
    edit_overlay(spec_folder, "field: prompt\n", "field: text_prompt\n")

    result = subprocess.run(
        [sys.executable, "-m", "kling_spec_tools", "--root", str(spec_folder), "resolve"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 2  # the broken reference, then what to do


def test_a_spec_the_runtime_would_refuse_is_refused_at_resolve(spec_folder: Path, capsys) -> None:
    # Given an overlay whose prompt limit disagrees with its own x-kling-constraints
    edit_overlay(spec_folder, "      maxLength: 2500\n", "      maxLength: 2499\n")

    [line] = resolve_errors(spec_folder, capsys)

    assert "ExpandConstraints.from_spec refuses the spec" in line
    assert "disagrees with x-kling-constraints.prompt.max_length" in line
