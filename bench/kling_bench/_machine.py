"""What the figures were measured on: published next to them, since they mean
nothing without it."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from ._servers import TOOLS_DIR


def _first_line(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else None


def _cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_total_mib(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _prism_version() -> str | None:
    package = TOOLS_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    try:
        return str(json.loads(package.read_text())["version"])
    except (OSError, KeyError, ValueError):
        return None


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def describe_machine() -> dict[str, Any]:
    """CPU, cores, memory, OS, load at the start, and the versions of every tool involved."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_mib": _memory_total_mib(),
        "os": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "uvicorn": _version("uvicorn"),
        "starlette": _version("starlette"),
        "httpx": _version("httpx"),
        "uvloop": _version("uvloop"),
        "httptools": _version("httptools"),
        "node": _first_line(["node", "--version"]),
        "prism": _prism_version(),
        "wrk": _first_line(["wrk", "--version"]),
    }
