"""``python -m kling_bench``: run the benchmarks, print the tables and JSON, save the JSON."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType

from rich.console import Console

from . import _fixtures, _seams
from ._footprint import footprint_lines, measure_footprint
from ._hostile_memory import hostile_memory_report
from ._render_memory import render_memory_report
from ._report import SERVER_ORDER, markdown_table, targets_table, throughput_table
from ._run import RESULTS_DIR, Settings, run_benchmarks, write_results
from ._wrk import Workload, WrkError


def _int_list(text: str) -> tuple[int, ...]:
    values = tuple(int(part) for part in text.split(",") if part.strip())
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("expected positive integers separated by commas")
    return values


def _names(choices: Sequence[str]) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(part.strip() for part in text.split(",") if part.strip())
        unknown = sorted(set(names) - set(choices))
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(choices)}")
        return names

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kling_bench",
        description="Benchmark the mock against Prism and a bare Starlette ceiling, "
        "the payload path, the mock's memory and the SDK's overhead.",
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (about a minute)")
    parser.add_argument(
        "--duration", type=float, help="seconds per load cell (default 4; $BENCH_DURATION)"
    )
    parser.add_argument("--connections", type=_int_list, help="e.g. 1,8,32,128")
    parser.add_argument(
        "--workloads", type=_names([w.value for w in Workload]), help="create,get-task,mixed"
    )
    parser.add_argument("--servers", type=_names(SERVER_ORDER), help="mock,prism,ceiling")
    parser.add_argument("--threads", type=int, help="wrk threads (default 1)")
    parser.add_argument(
        "--memory-tasks", type=int, help="tasks for the memory figure ($BENCH_MEMORY_TASKS)"
    )
    parser.add_argument(
        "--api-key",
        help=f"bearer key for every server (default ${_seams.API_KEY_ENV} or the mock's dev key)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory figure")
    parser.add_argument("--no-payload", action="store_true", help="skip the payload figures")
    parser.add_argument("--no-sdk", action="store_true", help="skip the SDK overhead figure")
    parser.add_argument(
        "--no-render-memory", action="store_true", help="skip the render memory figure"
    )
    parser.add_argument(
        "--no-hostile-memory",
        action="store_true",
        help="skip the RSS figures after hostile peers (headers, stalled uploads, callbacks)",
    )
    parser.add_argument(
        "--footprint-only",
        action="store_true",
        help="only the install size and import figures (no servers, no wrk)",
    )
    parser.add_argument(
        "--no-footprint", action="store_true", help="skip the install size and import figures"
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="footprint without building the wheel: imports timed in this interpreter",
    )
    parser.add_argument(
        "--no-fixtures", action="store_true", help="skip the pytest plugin's fixture figures"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the mock with py-spy during its 32-connection cells; summary and stacks "
        "under the results folder",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--markdown", action="store_true", help="also print the table as Markdown (for the README)"
    )
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    api_key = args.api_key or _seams.default_api_key()
    settings = Settings.quick(api_key) if args.quick else Settings(api_key=api_key)
    settings = settings.with_environment()
    overrides = {
        "duration_s": args.duration,
        "connections": args.connections,
        "workloads": None if args.workloads is None else tuple(map(Workload, args.workloads)),
        "servers": args.servers,
        "threads": args.threads,
        "memory_tasks": args.memory_tasks,
    }
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    return replace(
        settings,
        run_memory=settings.run_memory and not args.no_memory,
        run_payload=settings.run_payload and not args.no_payload,
        run_sdk=settings.run_sdk and not args.no_sdk,
        profile=args.profile,
        results_dir=args.results_dir,
    )


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so every server's finally block stops it.
    raise SystemExit(128 + signum)


def _footprint(args: argparse.Namespace, log: Callable[[str], object]) -> dict[str, object]:
    log(
        "footprint: "
        + ("imports in this interpreter" if args.no_install else "wheel in fresh venvs")
    )
    footprint = measure_footprint(install=not args.no_install)
    for line in footprint_lines(footprint):
        print(line)
    return footprint.to_json()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.footprint_only:
        print(json.dumps(_footprint(args, log=Console(stderr=True).print), indent=2))
        return 0
    settings = settings_from(args)
    signal.signal(signal.SIGTERM, _terminate)
    progress = Console(stderr=True)
    # Piped output (a log, CI) would otherwise be cut to 80 columns.
    out = Console(width=None if sys.stdout.isatty() else 200)
    try:
        result = run_benchmarks(settings, log=progress.print)
    except WrkError as exc:
        progress.print(f"[red]{exc}[/red]")
        return 2
    report = result.to_json()
    if not args.no_render_memory:
        report["render_memory"] = render_memory_report(progress.print)
    if not args.no_hostile_memory:
        report["hostile_memory"] = hostile_memory_report(progress.print)
    if not args.no_footprint:
        report["footprint"] = _footprint(args, log=progress.print)
    if not args.no_fixtures:
        progress.print("pytest plugin: fixture, import and expand() costs")
        fixtures = _fixtures.measure()
        report["fixtures"] = fixtures.to_json()
        out.print("\n".join(fixtures.lines()))
    path = write_results(report, settings.results_dir)
    rows = result.rows()
    out.print(throughput_table(rows))
    out.print(targets_table(result.targets()))
    summary = {key: report[key] for key in ("machine", "comparison", "targets")}
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if args.markdown:
        print(markdown_table(rows))
    progress.print(f"full results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
