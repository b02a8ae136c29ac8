"""``kling_spec`` reads the packaged resolved spec; the tooling is ``kling_spec_tools``."""

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import kling_spec
import kling_spec_tools
from kling_spec._cli import main as runtime_main

TOOLING_MODULES = ("yaml", "jsonpath_ng", "openapi_spec_validator", "kling_spec_tools")


def modules_loaded_by(statement: str) -> set[str]:
    probe = f"{statement}; import sys, json; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return {name.partition(".")[0] for name in json.loads(result.stdout)}


def test_the_runtime_checks_a_request_without_importing_any_tooling() -> None:
    loaded = modules_loaded_by(
        "from kling_spec import ExpandConstraints, check_expand_request, error_codes;"
        "check_expand_request({}, ExpandConstraints.from_spec()); error_codes()"
    )

    assert loaded.isdisjoint(TOOLING_MODULES), loaded & set(TOOLING_MODULES)


def test_importing_the_tooling_defers_its_heavy_dependencies_to_the_commands() -> None:
    loaded = modules_loaded_by("import kling_spec_tools")

    assert loaded.isdisjoint({"yaml", "jsonpath_ng", "openapi_spec_validator"})


def test_python_m_kling_spec_path_prints_the_resolved_spec_it_reads(capsys) -> None:
    assert runtime_main(["path"]) == 0

    printed = Path(capsys.readouterr().out.strip())
    assert json.loads(printed.read_text(encoding="utf-8")) == kling_spec.load_resolved_spec()


def test_python_m_kling_spec_path_yaml_prints_the_yaml_copy(capsys) -> None:
    assert runtime_main(["path", "--yaml"]) == 0

    assert capsys.readouterr().out.strip().endswith("kling-image-expansion.yaml")


def test_both_packages_report_the_distributions_version() -> None:
    expected = importlib.metadata.version("kling-expand-toolkit")

    assert kling_spec.__version__ == expected
    assert kling_spec_tools.__version__ == expected
