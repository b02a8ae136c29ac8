"""One benchmark run: every server, workload and concurrency, then the side figures.

Servers run one at a time, each started fresh by the harness and stopped
before the next, so they never compete for the machine. A server that cannot
run here is skipped with the reason, and so is each figure that needs it.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from kling_spec import CREATE_PATH, ExpandConstraints

from . import _seams
from ._machine import describe_machine
from ._memory import MemoryFigures, measure_memory
from ._payload import (
    RenderFigures,
    Upload,
    UploadFigures,
    canvas_size,
    gradient_png,
    max_area_ratios,
    measure_mock_render,
    measure_upload_http,
    measure_upload_in_process,
    noise_png,
    render_reference_seconds,
)
from ._ports import ServerNotListening
from ._profile import (
    ProfilerMissing,
    attribute_samples,
    profiling,
    project_frames,
    summarize_collapsed,
)
from ._report import (
    SERVER_ORDER,
    SUBJECT,
    TARGET_CONNECTIONS,
    CellResult,
    ComparisonRow,
    SideFigures,
    Target,
    comparison_rows,
    evaluate_targets,
)
from ._requests import auth_headers, example_create_body, task_id_of, task_path
from ._sdk_overhead import SdkFigures, measure_sdk_overhead
from ._servers import BENCH_DIR, LiveServer, ServerSpec, default_servers, running
from ._wrk import Workload, WrkError, WrkSummary, find_wrk, run_wrk, script_environment, wrk_command

RESULTS_DIR = BENCH_DIR / "results"
RENDER_SOURCE_PX = 4096
DURATION_ENV = "BENCH_DURATION"
MEMORY_TASKS_ENV = "BENCH_MEMORY_TASKS"


@dataclass(frozen=True)
class Settings:
    """How long and how wide a run is. The defaults are the published run."""

    api_key: str
    duration_s: float = 4.0
    warmup_s: float = 1.0
    connections: tuple[int, ...] = (1, 8, 32, 128)
    workloads: tuple[Workload, ...] = tuple(Workload)
    servers: tuple[str, ...] = SERVER_ORDER
    threads: int = 1
    memory_tasks: int = 100_000
    memory_deadline_s: float = 600.0
    payload_repeat: int = 5
    render_reference: bool = True
    render_deadline_s: float = 120.0
    sdk_calls: int = 500
    sdk_rounds: int = 5
    run_memory: bool = True
    run_payload: bool = True
    run_sdk: bool = True
    # Sample the mock with py-spy during its cells at the targets' concurrency.
    profile: bool = False
    results_dir: Path = RESULTS_DIR

    @classmethod
    def quick(cls, api_key: str) -> Settings:
        """A smoke run of a minute or so: proves every part works, publishes nothing."""
        return cls(
            api_key=api_key,
            duration_s=1.0,
            warmup_s=1.0,
            connections=(1, 32),
            memory_tasks=5_000,
            payload_repeat=3,
            render_reference=False,
            render_deadline_s=15.0,
            sdk_calls=100,
            sdk_rounds=3,
        )

    def with_environment(self, environ: dict[str, str] | None = None) -> Settings:
        """Apply $BENCH_DURATION (seconds per cell) and $BENCH_MEMORY_TASKS when set."""
        environ = dict(os.environ) if environ is None else environ
        changed = self
        if environ.get(DURATION_ENV):
            changed = replace(changed, duration_s=float(environ[DURATION_ENV]))
        if environ.get(MEMORY_TASKS_ENV):
            changed = replace(changed, memory_tasks=int(environ[MEMORY_TASKS_ENV]))
        return changed

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("api_key")
        data["workloads"] = [w.value for w in self.workloads]
        data["results_dir"] = str(self.results_dir)
        return data


class PreflightError(RuntimeError):
    """The server did not answer a valid create and get as the service would."""


def preflight(live: LiveServer, headers: dict[str, str], body: dict[str, Any]) -> str:
    """Create one task and read it back; the task id (for the get-task workload)."""
    with httpx.Client(base_url=live.base_url, headers=headers, timeout=30) as client:
        created = client.post(CREATE_PATH, json=body)
        try:
            task_id = task_id_of(created.json())
        except ValueError as exc:
            hint = " (is the API key right? --api-key / $KLING_BENCH_API_KEY)"
            raise PreflightError(
                f"{live.name} answered a valid create with HTTP {created.status_code}: {exc}"
                + (hint if created.status_code == 401 else "")
            ) from exc
        fetched = client.get(task_path(task_id))
        if fetched.status_code != 200:
            raise PreflightError(
                f"{live.name} answered GET of task {task_id} with HTTP {fetched.status_code}"
            )
    return task_id


@dataclass
class RunResult:
    """Everything one run measured."""

    settings: Settings
    machine: dict[str, Any]
    servers: dict[str, str] = field(default_factory=dict)
    cells: list[CellResult] = field(default_factory=list)
    upload: UploadFigures | None = None
    render: RenderFigures | None = None
    memory: MemoryFigures | None = None
    sdk: SdkFigures | None = None
    profiles: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def rows(self) -> list[ComparisonRow]:
        return comparison_rows(self.cells, self.settings.servers)

    def targets(self) -> list[Target]:
        side = SideFigures(
            payload_accept_over_decode=(
                None if self.upload is None else self.upload.accept_over_decode
            ),
            rss_bytes_at_tasks=None if self.memory is None else self.memory.rss_after_tasks_bytes,
            rss_tasks=None if self.memory is None else self.memory.batch.created,
            sdk_over_httpx=None if self.sdk is None else self.sdk.sdk_over_httpx,
            notes=self.notes,
        )
        return evaluate_targets(self.rows(), side)

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": self.machine,
            "settings": self.settings.to_json(),
            "servers": self.servers,
            "comparison": [row.to_json() for row in self.rows()],
            "targets": [target.to_json() for target in self.targets()],
            "payload": None if self.upload is None else self.upload.to_json(),
            "render": None if self.render is None else self.render.to_json(),
            "memory": None if self.memory is None else self.memory.to_json(),
            "sdk": None if self.sdk is None else self.sdk.to_json(),
            "profiles": self.profiles,
            "notes": self.notes,
            "cells": [cell.to_json() for cell in self.cells],
        }


Log = Callable[[str], None]


def _load_cells(
    live: LiveServer,
    settings: Settings,
    *,
    wrk: str,
    new_task: Callable[[], str],
    script_env: dict[str, str],
    log: Log,
    profiles: dict[str, Any],
) -> list[CellResult]:
    headers = auth_headers(settings.api_key)
    urls = {
        Workload.CREATE: live.base_url + CREATE_PATH,
        Workload.MIXED: live.base_url + CREATE_PATH,
    }

    def command(workload: Workload, connections: int, duration_s: float) -> list[str]:
        return wrk_command(
            url=urls[workload],
            workload=workload,
            connections=connections,
            duration_s=duration_s,
            headers=headers,
            threads=settings.threads,
            executable=wrk,
        )

    if settings.warmup_s > 0:
        warm = max(settings.connections)
        run_wrk(
            command(Workload.CREATE, warm, settings.warmup_s),
            env=script_env,
            duration_s=settings.warmup_s,
        )
    cells = []
    for workload in settings.workloads:
        if workload is Workload.GET_TASK:
            # Created now: a mock with a bounded store may have evicted older tasks.
            urls[workload] = live.base_url + task_path(new_task())
        for connections in settings.connections:
            cell_command = command(workload, connections, settings.duration_s)
            try:
                if _profiled(live, settings, connections):
                    summary = _run_profiled(
                        live,
                        settings,
                        workload,
                        connections,
                        cell_command,
                        script_env,
                        profiles,
                        log,
                    )
                else:
                    summary = run_wrk(cell_command, env=script_env, duration_s=settings.duration_s)
            except WrkError as exc:
                cells.append(CellResult(live.name, workload, connections, None, str(exc)))
                log(f"  {workload.value} c={connections}: failed: {exc}")
                continue
            notes = []
            if summary.errors.total:
                failed = summary.errors.total
                notes.append(f"{failed} of {summary.requests} requests failed: {summary.errors}")
            if _profiled(live, settings, connections):
                notes.append("measured while py-spy sampled the server")
            note = "; ".join(notes) or None
            cells.append(CellResult(live.name, workload, connections, summary, note))
            log(
                f"  {workload.value:8} c={connections:<3} {summary.requests_per_s:9.0f} req/s"
                f"  p50 {summary.p50_ms:7.2f} ms  p99 {summary.p99_ms:7.2f} ms"
                + (f"  ({note})" if note else "")
            )
    return cells


def _profiled(live: LiveServer, settings: Settings, connections: int) -> bool:
    return settings.profile and live.name == SUBJECT and connections == TARGET_CONNECTIONS


def _run_profiled(
    live: LiveServer,
    settings: Settings,
    workload: Workload,
    connections: int,
    command: list[str],
    script_env: dict[str, str],
    profiles: dict[str, Any],
    log: Log,
) -> WrkSummary:
    """One cell with py-spy sampling the server; its summary goes into ``profiles``."""
    name = f"{workload.value} c={connections}"
    path = settings.results_dir / f"profile-{workload.value}-c{connections}.txt"
    try:
        with profiling(live.pid, path, duration_s=max(1.0, settings.duration_s - 0.5)):
            summary = run_wrk(command, env=script_env, duration_s=settings.duration_s)
    except ProfilerMissing as exc:
        profiles[name] = {"note": str(exc)}
        return run_wrk(command, env=script_env, duration_s=settings.duration_s)
    text = path.read_text() if path.exists() else ""
    charged = attribute_samples(text)
    profiles[name] = {
        "file": str(path),
        "charged_to": charged,
        "inclusive_project_frames": summarize_collapsed(text, top=15, keep=project_frames),
    }
    log(f"  profile {name} ({path.name}): samples charged to")
    for key, share in charged[:8]:
        log(f"    {share:6.1%}  {key}")
    return summary


def _skipped(name: str, settings: Settings, reason: str) -> list[CellResult]:
    return [
        CellResult(name, workload, connections, None, reason)
        for workload in settings.workloads
        for connections in settings.connections
    ]


def _mock_payload(live: LiveServer, settings: Settings, result: RunResult, log: Log) -> None:
    constraints = ExpandConstraints.from_spec()
    headers = auth_headers(settings.api_key)
    with httpx.Client(base_url=live.base_url, headers=headers, timeout=120) as client:
        if result.upload is not None:
            upload = Upload.of(noise_png(constraints.image_max_bytes))
            try:
                accept = measure_upload_http(client, upload, repeat=settings.payload_repeat)
                result.upload = replace(result.upload, accept_http_s=accept)
                log(f"  accept 10 MB base64 PNG: {accept * 1e3:.1f} ms")
            except (ValueError, httpx.HTTPError) as exc:
                result.notes["payload"] = f"the mock did not accept the upload: {exc}"
        if result.render is not None:
            ratios = max_area_ratios(constraints)
            upload = Upload.of(gradient_png(RENDER_SOURCE_PX), ratios)
            try:
                to_final, download, note = measure_mock_render(
                    client, upload, deadline_s=settings.render_deadline_s
                )
                result.render = replace(
                    result.render,
                    mock_create_to_final_s=to_final,
                    mock_result_download_s=download,
                    note=note,
                )
                log(f"  render {RENDER_SOURCE_PX} px at max area: to final {to_final:.2f} s")
            except (ValueError, TimeoutError, httpx.HTTPError) as exc:
                result.render = replace(result.render, note=f"the mock's render failed: {exc}")
                log(f"  render {RENDER_SOURCE_PX} px at max area: failed: {exc}")


def _in_process_payload(settings: Settings, result: RunResult, log: Log) -> None:
    constraints = ExpandConstraints.from_spec()
    upload = Upload.of(noise_png(constraints.image_max_bytes))
    result.upload = measure_upload_in_process(upload, constraints, repeat=settings.payload_repeat)
    log(
        f"payload: {len(upload.png):,} byte PNG:"
        f" decode {result.upload.decode_floor_s * 1e3:.1f} ms,"
        f" validation {result.upload.validate_in_process_s * 1e3:.1f} ms"
    )
    ratios = max_area_ratios(constraints)
    source = gradient_png(RENDER_SOURCE_PX)
    reference = (
        render_reference_seconds(source, ratios, constraints) if settings.render_reference else None
    )
    canvas = canvas_size(RENDER_SOURCE_PX, RENDER_SOURCE_PX, ratios, constraints)
    result.render = RenderFigures(RENDER_SOURCE_PX, canvas, reference)


def run_benchmarks(
    settings: Settings,
    log: Log,
    servers: dict[str, ServerSpec] | None = None,
) -> RunResult:
    """Run everything ``settings`` asks for; never leaves a server running."""
    servers = default_servers() if servers is None else servers
    result = RunResult(settings, describe_machine())
    wrk = find_wrk()
    body = example_create_body()
    headers = auth_headers(settings.api_key)
    log_dir = settings.results_dir / "logs"
    if settings.run_payload:
        _in_process_payload(settings, result, log)
    with tempfile.TemporaryDirectory(prefix="kling-bench-") as scratch:
        body_file = Path(scratch) / "create.json"
        body_file.write_bytes(httpx.Request("POST", "/", json=body).content)
        script_env = script_environment(
            body_file=body_file, task_path_template=task_path("{task_id}")
        )
        for name in settings.servers:
            spec = servers[name]
            reason = spec.unavailable()
            if reason is not None:
                log(f"{name}: skipped: {reason}")
                if name == SUBJECT:
                    result.notes["load"] = result.notes["payload"] = f"skipped: {reason}"
                    if result.render is not None:
                        result.render = replace(result.render, note=f"skipped: {reason}")
                result.servers[name] = f"skipped: {reason}"
                result.cells += _skipped(name, settings, reason)
                continue
            result.servers[name] = spec.description
            log(f"{name}: {spec.description}")
            try:
                with running(spec, log_dir=log_dir) as live:
                    log(f"  listening on {live.base_url} (pid {live.pid})")
                    preflight(live, headers, body)
                    result.cells += _load_cells(
                        live,
                        settings,
                        wrk=wrk,
                        new_task=functools.partial(preflight, live, headers, body),
                        script_env=script_env,
                        log=log,
                        profiles=result.profiles,
                    )
                    if name == SUBJECT and settings.run_payload:
                        _mock_payload(live, settings, result, log)
            except (ServerNotListening, PreflightError, WrkError, httpx.HTTPError) as exc:
                log(f"{name}: failed: {exc}")
                result.servers[name] = f"failed: {exc}"
                if name == SUBJECT:
                    result.notes["load"] = f"failed: {exc}"
                done = {(c.workload, c.connections) for c in result.cells if c.server == name}
                result.cells += [
                    cell
                    for cell in _skipped(name, settings, f"failed: {exc}")
                    if (cell.workload, cell.connections) not in done
                ]
    _memory(settings, servers, result, log)
    _sdk(settings, result, log)
    return result


def _memory(
    settings: Settings, servers: dict[str, ServerSpec], result: RunResult, log: Log
) -> None:
    if not settings.run_memory or SUBJECT not in servers:
        result.notes["memory"] = "not run"
        return
    reason = servers[SUBJECT].unavailable()
    if reason is not None:
        result.notes["memory"] = f"skipped: {reason}"
        return
    body = httpx.Request("POST", "/", json=example_create_body()).content
    log(f"memory: {settings.memory_tasks:,} tasks on a fresh mock, then evicted")
    memory_env = _seams.mock_environment(_seams.memory_config(settings.memory_tasks))
    try:
        with running(
            servers[SUBJECT], log_dir=settings.results_dir / "logs", extra_env=memory_env
        ) as live:
            result.memory = measure_memory(
                live,
                auth_headers(settings.api_key),
                body,
                tasks=settings.memory_tasks,
                deadline_s=settings.memory_deadline_s,
                evict=_seams.evict_all_tasks,
            )
    except (ServerNotListening, httpx.HTTPError, OSError, EOFError) as exc:
        result.notes["memory"] = f"failed: {exc!r}"
        return
    figures = result.memory.to_json()
    log(
        f"  RSS start {figures['rss_start_mib']} MiB, after {result.memory.batch.created:,}"
        f" tasks {figures['rss_after_tasks_mib']} MiB, after eviction"
        f" {figures['rss_after_eviction_mib']} MiB (first task gone:"
        f" {result.memory.first_task_evicted}) {result.memory.note}"
    )


def _sdk(settings: Settings, result: RunResult, log: Log) -> None:
    if not settings.run_sdk:
        result.notes["sdk"] = "not run"
        return
    try:
        result.sdk = measure_sdk_overhead(
            settings.api_key, calls=settings.sdk_calls, rounds=settings.sdk_rounds
        )
    except _seams.SeamUnavailable as exc:
        result.notes["sdk"] = f"skipped: {exc}"
        log(f"sdk: skipped: {exc}")
        return
    except (ValueError, httpx.HTTPError) as exc:
        result.notes["sdk"] = f"failed: {exc}"
        log(f"sdk: failed: {exc}")
        return
    log(
        f"sdk: httpx {result.sdk.httpx_get_s * 1e6:.0f} us/call, KlingExpand.get"
        f" {result.sdk.sdk_get_s * 1e6:.0f} us/call ({result.sdk.sdk_over_httpx}x)"
    )


def write_results(report: dict[str, Any], results_dir: Path) -> Path:
    """Write ``latest.json`` (and a timestamped copy) under ``results_dir``."""
    results_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    stamp = report["generated_at"].replace(":", "").replace("+0000", "Z")
    (results_dir / f"run-{stamp}.json").write_text(text)
    latest = results_dir / "latest.json"
    latest.write_text(text)
    return latest
