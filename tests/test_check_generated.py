"""`make check-generated` catches a generated file touched by hand."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "generated_client" / "kling_expand_api"


def check_generated(against: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "check-generated", f"GENERATED={against}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )


@pytest.fixture
def generated_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "kling_expand_api"
    shutil.copytree(GENERATED, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_check_generated_passes_on_the_committed_client(generated_copy: Path) -> None:
    result = check_generated(generated_copy)

    assert result.returncode == 0, result.stdout + result.stderr


def test_check_generated_ignores_the_bytecode_an_import_leaves(generated_copy: Path) -> None:
    # Given a client that has been imported once (pytest and `make demo` both do it)
    cache = generated_copy / "models" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "task_record.cpython-311.pyc").write_bytes(b"bytecode")

    result = check_generated(generated_copy)

    assert result.returncode == 0, result.stdout + result.stderr


def test_check_generated_fails_when_one_generated_file_is_touched(generated_copy: Path) -> None:
    model = generated_copy / "models" / "task_record.py"
    model.write_text(model.read_text() + "\n# edited by hand\n")

    result = check_generated(generated_copy)

    assert result.returncode != 0
    assert "task_record.py" in result.stdout + result.stderr


def test_the_generator_marks_the_package_typed_and_the_check_keeps_it(
    generated_copy: Path,
) -> None:
    # Given the committed client, which the generator's post-hooks mark as typed (PEP 561)
    assert (GENERATED / "py.typed").is_file()
    (generated_copy / "py.typed").unlink()

    # When the marker is gone, the check says the client is not what the generator makes
    result = check_generated(generated_copy)

    assert result.returncode != 0
    assert "py.typed" in result.stdout + result.stderr
