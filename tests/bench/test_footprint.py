"""Install size and import figures: ratios against httpx, and the CLI's fast path."""

import json
from pathlib import Path

import pytest

from kling_bench import _cli
from kling_bench._footprint import (
    BASELINE,
    SUBJECTS,
    Footprint,
    ImportFigure,
    InstallFigure,
    directory_mib,
    footprint_lines,
    measure_footprint,
    measure_imports,
)


def figure(module: str, seconds: float, loaded: int) -> ImportFigure:
    return ImportFigure(module, seconds=seconds, modules_loaded=loaded, modules_total=loaded + 50)


def test_each_subject_is_a_ratio_of_the_httpx_import_in_the_same_run() -> None:
    footprint = Footprint(
        None,
        (
            figure("httpx", 0.1, 200),
            figure("kling_expand", 0.15, 300),
            figure("kling_mock", 0.3, 500),
        ),
        "python",
    )

    assert footprint.ratios() == {
        "kling_expand": {"seconds": 1.5, "modules": 1.5},
        "kling_mock": {"seconds": 3.0, "modules": 2.5},
    }


def test_the_lines_name_the_install_and_each_import_against_httpx() -> None:
    install = InstallFigure("SDK only", 12.5, 2, ("httpx", "kling-expand-toolkit"))
    footprint = Footprint(install, (figure("httpx", 0.1, 200), figure("kling_mock", 0.2, 300)), "x")

    lines = footprint_lines(footprint)

    assert lines[0] == "SDK only install: 12.5 MiB, 2 packages (httpx, kling-expand-toolkit)"
    assert lines[1].startswith("import httpx: 100.0 ms, 200 modules loaded")
    assert lines[2].endswith("2.0x the time and 1.5x the modules of httpx")


def test_imports_are_timed_in_fresh_interpreters_that_load_the_module() -> None:
    (small, httpx_figure) = measure_imports(("fractions", "httpx"), python=None, samples=2)

    assert httpx_figure.module == "httpx"
    assert httpx_figure.modules_loaded > small.modules_loaded > 0
    assert httpx_figure.seconds > 0


def test_without_install_the_footprint_times_the_sdk_and_the_mock_here() -> None:
    footprint = measure_footprint(install=False, samples=1)

    assert footprint.install is None
    assert [f.module for f in footprint.imports] == [BASELINE, *SUBJECTS]
    assert set(footprint.to_json()["over_httpx"]) == set(SUBJECTS)


def test_a_folders_size_counts_every_file_in_mib(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 1024 * 1024)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"x" * 512 * 1024)

    assert directory_mib(tmp_path) == 1.5


def test_footprint_only_prints_the_figures_without_servers(monkeypatch, capsys) -> None:
    asked: list[bool] = []
    footprint = Footprint(None, (figure("httpx", 0.1, 200), figure("kling_expand", 0.12, 260)), "x")

    def fake(*, install: bool) -> Footprint:
        asked.append(install)
        return footprint

    monkeypatch.setattr(_cli, "measure_footprint", fake)
    monkeypatch.setattr(_cli, "run_benchmarks", pytest.fail)

    assert _cli.main(["--footprint-only", "--no-install"]) == 0

    out = capsys.readouterr().out
    assert asked == [False]
    assert "1.2x the time" in out
    assert json.loads(out[out.index("{") :])["over_httpx"]["kling_expand"]["seconds"] == 1.2
