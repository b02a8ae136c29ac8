"""Figures measured in a fresh interpreter, so nothing else the bench did counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def status_bytes(field: str) -> int:
    """A byte figure (VmRSS, VmHWM, ...) of this process, from /proc/self/status."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def bench_path() -> str:
    """PYTHONPATH for a child interpreter that imports this bench."""
    here = str(Path(__file__).resolve().parents[1])
    return os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))


def run_json(module: str, *args: str, timeout: float) -> dict[str, Any]:
    """Run ``python -m module args`` in a fresh interpreter and read the JSON it prints.

    Raises RuntimeError with the end of its stderr when it fails.
    """
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=os.environ | {"PYTHONPATH": bench_path()},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures
