"""Drive wrk and read what it measured.

Every workload script ends with ``done()`` from ``lua/common.lua``, which prints
one ``BENCH_RESULT {json}`` line with exact microsecond percentiles and every
error counter; :func:`parse_wrk_output` turns that line into a :class:`WrkSummary`.

>>> line = ('BENCH_RESULT {"duration_us":2000000,"requests":5000,"bytes":1,'
...         '"errors":{"connect":0,"read":0,"write":0,"status":0,"timeout":0},'
...         '"latency_us":{"p50":1500,"p90":2500,"p99":4000,"mean":1700.5,"max":9000}}')
>>> summary = parse_wrk_output("Running 2s test\\n" + line + "\\n")
>>> summary.requests_per_s, summary.p99_ms
(2500.0, 4.0)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

RESULT_MARKER = "BENCH_RESULT "
LUA_DIR = Path(__file__).with_name("lua")
# wrk runs a fixed duration; this bounds the wait for it beyond that.
_EXIT_GRACE_S = 30.0


class Workload(StrEnum):
    """What the load generator sends."""

    CREATE = "create"
    GET_TASK = "get-task"
    MIXED = "mixed"

    @property
    def script(self) -> Path:
        return LUA_DIR / f"{self.value.replace('-', '_')}.lua"


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed no result line."""


@dataclass(frozen=True)
class ErrorCounts:
    """wrk's error counters; ``status`` counts HTTP answers of 400 and above."""

    connect: int = 0
    read: int = 0
    write: int = 0
    status: int = 0
    timeout: int = 0

    @property
    def total(self) -> int:
        return self.connect + self.read + self.write + self.status + self.timeout


@dataclass(frozen=True)
class WrkSummary:
    """One load-generator run: how many requests, how fast, how many went wrong."""

    duration_s: float
    requests: int
    errors: ErrorCounts
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"requests_per_s": round(self.requests_per_s, 1)}


def parse_wrk_output(text: str) -> WrkSummary:
    """The summary from wrk's stdout; :class:`WrkError` when the result line is absent."""
    for line in text.splitlines():
        if line.startswith(RESULT_MARKER):
            return _summary_from(json.loads(line[len(RESULT_MARKER) :]))
    tail = "\n".join(text.strip().splitlines()[-5:])
    raise WrkError(f"wrk printed no {RESULT_MARKER.strip()} line; its output ended with:\n{tail}")


def _summary_from(raw: Mapping[str, Any]) -> WrkSummary:
    latency = raw["latency_us"]
    errors = raw["errors"]
    return WrkSummary(
        duration_s=raw["duration_us"] / 1e6,
        requests=int(raw["requests"]),
        errors=ErrorCounts(**{name: int(errors[name]) for name in ErrorCounts.__annotations__}),
        p50_ms=latency["p50"] / 1e3,
        p90_ms=latency["p90"] / 1e3,
        p99_ms=latency["p99"] / 1e3,
        mean_ms=latency["mean"] / 1e3,
        max_ms=latency["max"] / 1e3,
    )


def wrk_command(
    *,
    url: str,
    workload: Workload,
    connections: int,
    duration_s: float,
    headers: Mapping[str, str],
    threads: int = 1,
    timeout_s: float = 5.0,
    executable: str = "wrk",
) -> list[str]:
    """The wrk command line for one cell (wrk needs no more threads than connections).

    >>> wrk_command(url="http://127.0.0.1:1/x", workload=Workload.CREATE, connections=1,
    ...             duration_s=3, headers={"Authorization": "Bearer k"}, threads=2)[:7]
    ['wrk', '--threads', '1', '--connections', '1', '--duration', '3s']
    """
    command = [
        executable,
        "--threads",
        str(max(1, min(threads, connections))),
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(duration_s))}s",
        "--timeout",
        f"{max(1, round(timeout_s))}s",
        "--script",
        str(workload.script),
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    return [*command, url]


def script_environment(*, body_file: Path, task_path_template: str) -> dict[str, str]:
    """What the Lua scripts read: where they live, the create body, the get path template."""
    return {
        "BENCH_LUA_DIR": str(LUA_DIR),
        "BENCH_BODY_FILE": str(body_file),
        "BENCH_TASK_PATH": task_path_template,
    }


def find_wrk() -> str:
    """The wrk executable on PATH, or a :class:`WrkError` that says how to get it."""
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    return found


def run_wrk(command: Sequence[str], *, env: Mapping[str, str], duration_s: float) -> WrkSummary:
    """Run one wrk command to completion (bounded) and parse its result line."""
    try:
        done = subprocess.run(
            list(command),
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=duration_s + _EXIT_GRACE_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk did not finish within {duration_s + _EXIT_GRACE_S:g} s") from exc
    if done.returncode != 0:
        raise WrkError(f"wrk exited with {done.returncode}: {done.stderr.strip()[-500:]}")
    return parse_wrk_output(done.stdout)
