import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import kling_bench
from kling_bench import Settings, Workload, _seams, default_servers, run_benchmarks
from kling_bench._cli import build_parser, settings_from
from kling_bench._ports import accepts_connections
from kling_bench._run import DURATION_ENV, MEMORY_TASKS_ENV, write_results
from kling_bench._servers import ServerSpec


def test_the_package_exports_a_complete_sorted_all() -> None:
    public = {
        name
        for name, value in vars(kling_bench).items()
        if not name.startswith("_") and not isinstance(value, type(kling_bench))
    }

    assert kling_bench.__all__ == sorted(kling_bench.__all__)
    assert set(kling_bench.__all__) == public


def test_the_default_run_covers_the_issues_grid() -> None:
    settings = Settings(api_key="k")

    assert settings.connections == (1, 8, 32, 128)
    assert settings.workloads == (Workload.CREATE, Workload.GET_TASK, Workload.MIXED)
    assert settings.memory_tasks == 100_000


def test_longer_runs_come_from_the_environment() -> None:
    settings = Settings(api_key="k").with_environment(
        {DURATION_ENV: "30", MEMORY_TASKS_ENV: "200000"}
    )

    assert (settings.duration_s, settings.memory_tasks) == (30.0, 200_000)


def test_quick_is_shorter_on_every_axis() -> None:
    quick, full = Settings.quick("k"), Settings(api_key="k")

    assert quick.duration_s < full.duration_s
    assert set(quick.connections) < set(full.connections)
    assert quick.memory_tasks < full.memory_tasks


def test_command_line_flags_override_the_defaults(monkeypatch) -> None:
    monkeypatch.delenv(DURATION_ENV, raising=False)
    args = build_parser().parse_args(
        [
            "--quick",
            "--duration",
            "2",
            "--connections",
            "4,16",
            "--servers",
            "prism,ceiling",
            "--workloads",
            "get-task",
            "--api-key",
            "sk-x",
            "--no-sdk",
            "--profile",
        ]
    )

    settings = settings_from(args)

    assert settings.duration_s == 2.0
    assert settings.connections == (4, 16)
    assert settings.servers == ("prism", "ceiling")
    assert settings.workloads == (Workload.GET_TASK,)
    assert settings.api_key == "sk-x"
    assert not settings.run_sdk and settings.run_memory
    assert settings.profile and not Settings(api_key="k").profile


@pytest.mark.parametrize("flag", [["--connections", "0"], ["--servers", "wiremock"]])
def test_nonsense_flags_are_refused(flag, capsys) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(flag)


def test_results_are_written_as_latest_and_as_a_dated_copy(tmp_path) -> None:
    report = {"generated_at": "2026-01-02T03:04:05+00:00", "comparison": []}

    latest = write_results(report, tmp_path)

    assert json.loads(latest.read_text()) == report
    assert (tmp_path / "run-2026-01-02T030405Z.json").exists()


needs_wrk = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (make bench installs it)"
)


def tiny_run(results_dir, **overrides) -> Settings:
    """A run of one short cell per server, mock and ceiling, without the slow side figures.

    The payload's HTTP path and the SDK comparison have their own tests, with small inputs.
    """
    defaults = dict(
        api_key=_seams.default_api_key(),
        duration_s=1,
        warmup_s=0,
        connections=(2,),
        servers=("mock", "ceiling"),
        run_payload=False,
        run_sdk=False,
        results_dir=results_dir,
    )
    return Settings(**(defaults | overrides))


@needs_wrk
def test_a_run_measures_what_it_can_and_says_why_it_skipped_the_rest(tmp_path) -> None:
    # Given a mock that is not available, and the ceiling that is
    servers = default_servers()
    servers["mock"] = ServerSpec("mock", "absent", servers["mock"].command, lambda: "not built")
    settings = tiny_run(
        tmp_path, api_key="sk-secret", workloads=(Workload.CREATE,), run_memory=False
    )
    # When the run completes
    report = run_benchmarks(settings, log=lambda line: None, servers=servers).to_json()
    # Then the ceiling was measured, the mock's absence explained, and nothing invented
    (row,) = report["comparison"]
    assert row["requests_per_s"]["ceiling"] > 0
    assert row["requests_per_s"]["mock"] is None
    assert row["ratios"] == {"mock/ceiling": None}
    assert report["servers"]["mock"] == "skipped: not built"
    assert all(t["verdict"] == "not measured" for t in report["targets"])
    assert "sk-secret" not in json.dumps(report)


@needs_wrk
@pytest.mark.skipif(
    _seams.mock_command_unavailable() is not None, reason="the mock is not available"
)
def test_a_run_against_the_mock_fills_the_load_and_memory_figures(tmp_path) -> None:
    # Given the real mock and the ceiling, one short get-task cell each, 300 tasks for memory
    settings = tiny_run(tmp_path, workloads=(Workload.GET_TASK,), memory_tasks=300)
    # When the run completes
    report = run_benchmarks(settings, log=lambda line: None).to_json()
    # Then the load figures and their ratio come from this run, with no failed request
    (row,) = report["comparison"]
    assert row["ratios"]["mock/ceiling"] is not None
    assert row["errors"] == {"mock": 0, "ceiling": 0}
    # and the memory figure filled a fresh mock, then evicted every task
    memory = report["memory"]
    assert memory["batch"]["created"] == 300
    assert memory["batch"]["failed"] == 0
    assert memory["rss_after_tasks_mib"] > 0
    assert memory["first_task_evicted"] is True


@needs_wrk
def test_stopping_the_harness_mid_run_leaves_no_server_behind(tmp_path) -> None:
    # Given a run in progress, a long cell against the ceiling
    command = [
        sys.executable,
        "-m",
        "kling_bench",
        "--servers",
        "ceiling",
        "--workloads",
        "create",
        "--connections",
        "1",
        "--duration",
        "60",
        "--no-memory",
        "--no-payload",
        "--no-sdk",
        "--results-dir",
        str(tmp_path),
    ]
    env = {**os.environ, "PYTHONPATH": str(Path(kling_bench.__file__).parent.parent)}
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env) as harness:
        assert harness.stderr is not None
        listening = ""
        for line in harness.stderr:
            if "listening on" in line:
                listening = line
                break
        match = re.search(r"on http://([\d.]+):(\d+) \(pid (\d+)\)", listening)
        assert match, listening
        host, port, pid = match[1], int(match[2]), int(match[3])
        # When it is told to stop
        harness.send_signal(signal.SIGTERM)
        harness.wait(timeout=30)
    # Then the server's whole process group is gone and its port is closed
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert not accepts_connections(host, port)
