"""``kling-spec`` works on the spec folder it is given, and fails in one line."""

import subprocess
import sys
from pathlib import Path

import pytest

from kling_spec_tools._cli import main

CHECKOUT_ROOT = Path(__file__).resolve().parents[2] / "openapi"


def kling_spec(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "kling_spec_tools", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True)


def test_resolve_writes_the_resolved_files_into_the_named_folder(spec_folder: Path) -> None:
    assert main(["--root", str(spec_folder), "resolve"]) == 0

    for name in ("kling-image-expansion.yaml", "kling-image-expansion.json"):
        assert (spec_folder / name).read_bytes() == (CHECKOUT_ROOT / name).read_bytes()
    assert main(["--root", str(spec_folder), "resolve", "--check"]) == 0


def test_the_root_defaults_to_openapi_in_the_working_directory(spec_folder: Path) -> None:
    spec_folder.rename(spec_folder.with_name("openapi"))

    result = kling_spec("resolve", cwd=spec_folder.parent)

    assert result.returncode == 0, result.stderr
    assert (spec_folder.parent / "openapi" / "kling-image-expansion.json").is_file()


def test_a_folder_without_the_spec_files_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = kling_spec("resolve", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "no upstream spec at openapi/upstream/kling-image-expansion.yaml" in result.stderr
    assert "--root" in result.stderr


def test_a_missing_overlay_is_named(spec_folder: Path, capsys) -> None:
    (spec_folder / "overlay.yaml").unlink()

    assert main(["--root", str(spec_folder), "resolve"]) == 2
    assert f"no overlay at {spec_folder / 'overlay.yaml'}" in capsys.readouterr().err


def test_without_the_spec_extra_the_command_names_it_in_one_line(
    spec_folder: Path, monkeypatch, capsys
) -> None:
    # Given an install without PyYAML (None in sys.modules makes its import fail)
    monkeypatch.setitem(sys.modules, "yaml", None)

    status = main(["--root", str(spec_folder), "resolve"])

    err = capsys.readouterr().err
    assert status == 2
    assert err == "error: kling-spec needs yaml: install kling-expand-toolkit[spec]\n"


def test_help_and_version_name_the_command(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert capsys.readouterr().out.startswith("usage: kling-spec")
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip()


def test_help_documents_the_exit_statuses_and_the_update_flags(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "Exit status: 0 done; 1 refused" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["update", "--help"])
    out = capsys.readouterr().out
    assert "--accept-breaking" in out and "ACCEPT=1" in out
    assert "--json" in out
