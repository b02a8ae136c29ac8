"""An SDK-only install brings no HTTP server, no ASGI framework and no spec tooling."""

import json
from pathlib import Path

from .conftest import Venv

SERVER_AND_TOOLING_PACKAGES = {
    "starlette",
    "uvicorn",
    "httptools",
    "uvloop",
    "pyyaml",
    "jsonpath-ng",
    "openapi-spec-validator",
}
SERVER_AND_TOOLING_MODULES = {
    "starlette",
    "uvicorn",
    "httptools",
    "uvloop",
    "yaml",
    "jsonpath_ng",
    "openapi_spec_validator",
}


def loaded_top_level_modules(venv: Venv, statement: str, cwd: Path) -> set[str]:
    probe = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = venv.run(venv.python, "-c", probe, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return {name.partition(".")[0] for name in json.loads(result.stdout)}


def test_the_sdk_only_package_list_has_no_server_and_no_tooling(sdk_venv: Venv) -> None:
    assert "kling-expand-toolkit" in sdk_venv.packages
    assert "httpx" in sdk_venv.packages

    assert sdk_venv.packages.isdisjoint(SERVER_AND_TOOLING_PACKAGES)


def test_importing_the_sdk_loads_no_server_and_no_tooling_module(
    sdk_venv: Venv, tmp_path: Path
) -> None:
    loaded = loaded_top_level_modules(sdk_venv, "import kling_expand", tmp_path)

    assert "kling_expand" in loaded
    assert loaded.isdisjoint(SERVER_AND_TOOLING_MODULES | {"kling_mock", "kling_spec_tools"})


def test_the_sdk_checks_a_request_from_the_packaged_spec(sdk_venv: Venv, tmp_path: Path) -> None:
    result = sdk_venv.run(
        sdk_venv.python,
        "-c",
        "import kling_expand, kling_spec; print(kling_spec.resolved_spec_path())",
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout


def test_pytest_runs_without_the_mock_fixtures_when_the_extra_is_missing(
    sdk_venv: Venv, tmp_path: Path
) -> None:
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")

    run = sdk_venv.run(sdk_venv.bin / "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path)
    fixtures = sdk_venv.run(sdk_venv.bin / "pytest", "--fixtures", "-q", cwd=tmp_path)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    assert fixtures.returncode == 0, fixtures.stdout + fixtures.stderr
    assert "mock_kling_client" not in fixtures.stdout


def test_kling_spec_without_the_spec_extra_says_so_in_one_line(
    sdk_venv: Venv, tmp_path: Path
) -> None:
    result = sdk_venv.run(sdk_venv.bin / "kling-spec", "--root", tmp_path, "resolve", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ")
