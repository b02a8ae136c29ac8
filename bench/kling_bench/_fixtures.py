"""What the pytest plugin costs a downstream suite: per-test fixture cost, import cost,
and the real time of ``expand()`` and of a create retried through three 503s.

Each figure stands next to the in-process client's per-test cost, measured in the same
run (a fresh ``MockKling().client()`` per test, the cheapest way to reach the mock).
The fixture costs come from a real pytest run in a scratch folder: setup plus teardown
of every test, median over ``tests`` tests per fixture.

Run it alone with ``python -m kling_bench._fixtures``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FIXTURES = (
    "mock_kling",
    "mock_kling_server",
    "mock_kling_client",
    "mock_kling_async_client",
    "mock_kling_sdk",
    "mock_kling_async_sdk",
    "mock_kling_env",
)
BASELINE = "in_process_client"

_CONFTEST = """
import json, os
import pytest
from kling_mock import MockKling

COSTS = {}

@pytest.fixture
def in_process_client():
    with MockKling().client() as client:
        yield client

def pytest_runtest_logreport(report):
    if report.when in ("setup", "teardown"):
        name = report.nodeid.split("::")[-1].split("[")[0].removeprefix("test_")
        key = report.nodeid
        COSTS.setdefault(name, {}).setdefault(key, 0.0)
        COSTS[name][key] += report.duration

def pytest_sessionfinish(session):
    with open(os.environ["KLING_BENCH_OUT"], "w") as out:
        json.dump({name: list(by_test.values()) for name, by_test in COSTS.items()}, out)
"""


@dataclass(frozen=True)
class FixtureFigures:
    tests: int
    #: median setup + teardown per test, in ms, by fixture (the baseline included)
    per_test_ms: dict[str, float]
    plugin_import_ms: float
    expand_in_process_ms: float
    expand_served_ms: float
    retry_three_503s_ms: float
    mock_seconds_waited_by_expand: float
    mock_seconds_waited_by_retry: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        base = self.per_test_ms[BASELINE]
        rows = [f"per-test cost, median of {self.tests} tests (in-process client: {base:.2f} ms)"]
        for name in (*FIXTURES, BASELINE):
            cost = self.per_test_ms[name]
            rows.append(f"  {name:<24} {cost:7.2f} ms  ({cost / base:5.2f}x in-process)")
        rows += [
            f"plugin import (unused)     {self.plugin_import_ms:7.2f} ms",
            f"expand() 1 s + 3 s task    {self.expand_in_process_ms:7.2f} ms in process, "
            f"{self.expand_served_ms:.2f} ms served "
            f"(mock clock moved {self.mock_seconds_waited_by_expand:.1f} s)",
            f"create through three 503s  {self.retry_three_503s_ms:7.2f} ms "
            f"(mock clock moved {self.mock_seconds_waited_by_retry:.1f} s)",
        ]
        return rows


def fixture_costs(tests: int = 200) -> dict[str, float]:
    """Median setup + teardown (ms) per test for every fixture, from one pytest run."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "conftest.py").write_text(_CONFTEST)
        (root / "pytest.ini").write_text(
            "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        )
        body = [f"N = range({tests})", "import pytest"]
        for name in (*FIXTURES, BASELINE):
            body += [
                "@pytest.mark.parametrize('n', N)",
                f"def test_{name}({name}, n):",
                "    pass",
            ]
        (root / "test_costs.py").write_text("\n".join(body) + "\n")
        out = root / "costs.json"
        env = {**os.environ, "KLING_BENCH_OUT": str(out)}
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root)],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
        costs: dict[str, list[float]] = json.loads(out.read_text())
    return {name: statistics.median(values) * 1000 for name, values in costs.items()}


def plugin_import_ms(runs: int = 5) -> float:
    """What importing the plugin adds to a pytest run (pytest itself already loaded),
    best of ``runs`` fresh interpreters."""
    best = float("inf")
    for _ in range(runs):
        result = subprocess.run(
            [
                sys.executable,
                "-X",
                "importtime",
                "-c",
                "import pytest; import kling_mock._pytest_plugin",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        for line in result.stderr.splitlines():
            if line.rstrip().endswith("| kling_mock._pytest_plugin"):
                best = min(best, int(line.split("|")[1]) / 1000)
    return best


def _expand_times() -> tuple[float, float, float, float, float]:
    from kling_expand import RetryPolicy
    from kling_mock import MockKling

    image = "https://example.com/a.jpg"
    mock = MockKling()
    with mock.sdk_client() as sdk:
        sdk.expand(image, up=0.2)  # warm: the spec, the first render
        mock.reset()
        start, began = mock.clock.now(), time.perf_counter()
        sdk.expand(image, up=0.2)
        in_process = time.perf_counter() - began
        waited = mock.clock.now() - start
    with mock.serve() as server, mock.sdk_client(base_url=server.base_url) as sdk:
        mock.reset()
        began = time.perf_counter()
        sdk.expand(image, up=0.2)
        served = time.perf_counter() - began
    mock.reset()
    mock.fail_next_create("unavailable", times=3)
    with mock.sdk_client(retry_policy=RetryPolicy(max_retries=3)) as sdk:
        start, began = mock.clock.now(), time.perf_counter()
        sdk.submit(image, up=0.2)
        retry = time.perf_counter() - began
        retry_waited = mock.clock.now() - start
    return in_process * 1000, served * 1000, retry * 1000, waited, retry_waited


def measure(tests: int = 200) -> FixtureFigures:
    in_process, served, retry, waited, retry_waited = _expand_times()
    return FixtureFigures(
        tests=tests,
        per_test_ms=fixture_costs(tests),
        plugin_import_ms=plugin_import_ms(),
        expand_in_process_ms=in_process,
        expand_served_ms=served,
        retry_three_503s_ms=retry,
        mock_seconds_waited_by_expand=waited,
        mock_seconds_waited_by_retry=retry_waited,
    )


if __name__ == "__main__":
    figures = measure()
    sys.stdout.write("\n".join(figures.lines()) + "\n")
    sys.stdout.write(json.dumps(figures.to_json(), indent=2) + "\n")
