"""The servers under test, and starting and stopping them without leftovers.

Each :class:`ServerSpec` is a command line for a host and port, plus a reason
it cannot run here (or None). :func:`running` starts one in its own process
group on a free loopback port, waits until it listens, and on the way out,
whatever happened, ends the whole group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kling_spec import resolved_spec_path

from . import _seams
from ._ports import LOOPBACK, ServerNotListening, pick_free_port, wait_for_port
from ._uvicorn import uvicorn_factory_command

BENCH_DIR = Path(__file__).resolve().parent.parent
TOOLS_DIR = BENCH_DIR / ".tools"
PRISM_BIN = TOOLS_DIR / "node_modules" / ".bin" / "prism"


@dataclass(frozen=True)
class ServerSpec:
    """A server the benchmarks can start: its command for (host, port), and whether it can."""

    name: str
    description: str
    command: Callable[[str, int], list[str]]
    unavailable: Callable[[], str | None] = lambda: None
    start_timeout_s: float = 30.0
    # Environment for the server process (``running(extra_env=...)`` adds to it).
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveServer:
    """A started server: where it listens and its process (group) id."""

    name: str
    host: str
    port: int
    pid: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _prism_command(host: str, port: int) -> list[str]:
    return [str(PRISM_BIN), "mock", "-h", host, "-p", str(port), str(resolved_spec_path(".yaml"))]


def _prism_unavailable() -> str | None:
    if not PRISM_BIN.exists():
        return f"Prism is not installed in {TOOLS_DIR}: `make bench` installs it"
    return None


def _ceiling_command(host: str, port: int) -> list[str]:
    return uvicorn_factory_command("kling_bench._ceiling:create_ceiling_app", host, port)


def default_servers() -> dict[str, ServerSpec]:
    """The three servers compared, in the order they run: ours first."""
    servers = [
        ServerSpec(
            "mock",
            "kling_mock, this project's mock, under uvicorn (no access log)",
            _seams.mock_command,
            _seams.mock_command_unavailable,
            env=_seams.mock_environment(_seams.LOAD_CONFIG),
        ),
        ServerSpec(
            "prism",
            "Stoplight Prism mock on the resolved spec",
            _prism_command,
            _prism_unavailable,
            start_timeout_s=60.0,
        ),
        ServerSpec(
            "ceiling",
            "bare Starlette app, fixed envelope, no validation",
            _ceiling_command,
        ),
    ]
    return {server.name: server for server in servers}


def _pythonpath_env() -> dict[str, str]:
    # The ceiling app lives in this package, which is not installed: let the child find it.
    existing = os.environ.get("PYTHONPATH")
    paths = [str(BENCH_DIR), *([existing] if existing else [])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def stop_process_group(
    process: subprocess.Popen[bytes],
    grace_s: float = 5.0,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """End ``process`` and everything it started: SIGTERM to the group, then SIGKILL;
    return once no member of the group is left running (or ``grace_s`` more has passed)."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, grace_s)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; make sure no child it left behind survives.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        break
    # The other members are not our children: the kernel ends them after we return.
    deadline = clock() + grace_s
    while running_members(process.pid) and clock() < deadline:
        sleep(0.02)


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def running(
    spec: ServerSpec,
    *,
    log_dir: Path,
    host: str = LOOPBACK,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[LiveServer]:
    """Serve ``spec`` on a free port of ``host`` for the ``with`` block, then stop it."""
    port = pick_free_port(host)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{spec.name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            spec.command(host, port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**_pythonpath_env(), **spec.env, **(extra_env or {})},
            start_new_session=True,
        )
        try:
            try:
                wait_for_port(
                    host,
                    port,
                    timeout_s=spec.start_timeout_s,
                    still_running=lambda: process.poll() is None,
                )
            except ServerNotListening as exc:
                raise ServerNotListening(
                    f"{spec.name}: {exc}; its log ({log_path}) ends with:\n{_log_tail(log_path)}"
                ) from exc
            yield LiveServer(spec.name, host, port, process.pid)
        finally:
            stop_process_group(process)


def _rss_kib(status_text: str) -> int:
    """VmRSS in KiB from a /proc/PID/status text (0 when absent, e.g. a zombie).

    >>> _rss_kib("Name:\\tpython\\nVmRSS:\\t  123456 kB\\n")
    123456
    """
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _process_group_of(stat_text: str) -> int:
    """The process group id from a /proc/PID/stat line (the command may hold spaces).

    >>> _process_group_of("42 (python -m x) S 1 42 42 0 -1")
    42
    """
    after_command = stat_text.rsplit(")", 1)[1].split()
    return int(after_command[2])


def _group_members(pgid: int, proc: Path) -> Iterator[tuple[Path, str]]:
    """Each process of group ``pgid``: its /proc entry and its state letter."""
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if _process_group_of(stat) == pgid:
                yield entry, stat.rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked


def running_members(pgid: int, proc: Path = Path("/proc")) -> list[int]:
    """The processes of group ``pgid`` that still run (zombies have ended)."""
    return [int(entry.name) for entry, state in _group_members(pgid, proc) if state != "Z"]


def process_group_rss_bytes(pgid: int, proc: Path = Path("/proc")) -> int:
    """The resident memory of every process in group ``pgid``, in bytes."""
    total_kib = 0
    for entry, _ in _group_members(pgid, proc):
        try:
            total_kib += _rss_kib((entry / "status").read_text())
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    return total_kib * 1024
