"""From measured cells to the published figures: ratios, targets, a table, JSON.

Everything here is pure: it takes the figures of one run and computes, so the
ratios always compare numbers measured in the same run on the same machine.

>>> from kling_bench._wrk import ErrorCounts, WrkSummary, Workload
>>> def cell(server, rps):
...     s = WrkSummary(1.0, rps, ErrorCounts(), 1.0, 2.0, 3.0, 1.0, 4.0)
...     return CellResult(server, Workload.CREATE, 32, s)
>>> rows = comparison_rows([cell("mock", 600), cell("prism", 100), cell("ceiling", 1000)])
>>> rows[0].ratios
{'mock/prism': 6.0, 'mock/ceiling': 0.6}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rich.table import Table

from ._wrk import Workload, WrkSummary

SUBJECT = "mock"
REFERENCES = ("prism", "ceiling")
SERVER_ORDER = (SUBJECT, *REFERENCES)
# The concurrency the targets are stated at.
TARGET_CONNECTIONS = 32
MIB = 1024 * 1024


@dataclass(frozen=True)
class CellResult:
    """One server under one workload at one concurrency: its summary, or why there is none."""

    server: str
    workload: Workload
    connections: int
    summary: WrkSummary | None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "workload": self.workload.value,
            "connections": self.connections,
            "result": None if self.summary is None else self.summary.to_json(),
            "note": self.note,
        }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator`` rounded to 3 places, or None when either is missing or 0.

    >>> ratio(3, 2), ratio(None, 2), ratio(3, 0)
    (1.5, None, None)
    """
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


@dataclass(frozen=True)
class ComparisonRow:
    """Every server's figures for one workload and concurrency, and the mock's ratios."""

    workload: Workload
    connections: int
    figures: Mapping[str, WrkSummary | None]
    ratios: Mapping[str, float | None]

    def rps(self, server: str) -> float | None:
        summary = self.figures.get(server)
        return None if summary is None else summary.requests_per_s

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload.value,
            "connections": self.connections,
            "requests_per_s": {s: _round(self.rps(s)) for s in self.figures},
            "p50_ms": {s: _round(_attr(f, "p50_ms"), 3) for s, f in self.figures.items()},
            "p99_ms": {s: _round(_attr(f, "p99_ms"), 3) for s, f in self.figures.items()},
            "errors": {s: _attr(f, "errors.total") for s, f in self.figures.items()},
            "ratios": dict(self.ratios),
        }


def _attr(summary: WrkSummary | None, name: str) -> Any:
    if summary is None:
        return None
    value: Any = summary
    for part in name.split("."):
        value = getattr(value, part)
    return value


def _round(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


def comparison_rows(
    cells: Iterable[CellResult], servers: Sequence[str] = SERVER_ORDER
) -> list[ComparisonRow]:
    """One row per (workload, connections), in run order, with the mock/reference ratios."""
    by_key: dict[tuple[Workload, int], dict[str, WrkSummary | None]] = {}
    for cell in cells:
        by_key.setdefault((cell.workload, cell.connections), {})[cell.server] = cell.summary
    rows = []
    for (workload, connections), found in by_key.items():
        figures = {server: found.get(server) for server in servers}
        row = ComparisonRow(workload, connections, figures, {})
        ratios = {
            f"{SUBJECT}/{ref}": ratio(row.rps(SUBJECT), row.rps(ref))
            for ref in REFERENCES
            if ref in servers
        }
        rows.append(ComparisonRow(workload, connections, figures, ratios))
    return rows


class Verdict(StrEnum):
    MET = "met"
    MISSED = "missed"
    # Measured, but not at the scale the target is stated for (e.g. a --quick run).
    INDICATIVE = "indicative only"
    NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Target:
    """A figure the issue asks for: ``value`` must be at least (or at most) ``limit``."""

    name: str
    limit: float
    at_least: bool
    value: float | None
    note: str = ""
    full_scale: bool = True

    @property
    def verdict(self) -> Verdict:
        if self.value is None:
            return Verdict.NOT_MEASURED
        if not self.full_scale:
            return Verdict.INDICATIVE
        met = self.value >= self.limit if self.at_least else self.value <= self.limit
        return Verdict.MET if met else Verdict.MISSED

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "limit": ("≥ " if self.at_least else "≤ ") + f"{self.limit:g}",
            "value": self.value,
            "verdict": self.verdict.value,
            "note": self.note,
        }


@dataclass(frozen=True)
class SideFigures:
    """The figures from outside the load runs that targets are checked against."""

    payload_accept_over_decode: float | None = None
    rss_bytes_at_tasks: int | None = None
    rss_tasks: int | None = None
    sdk_over_httpx: float | None = None
    notes: Mapping[str, str] = field(default_factory=dict)


def _row(rows: Sequence[ComparisonRow], workload: Workload) -> ComparisonRow | None:
    for row in rows:
        if row.workload is workload and row.connections == TARGET_CONNECTIONS:
            return row
    return None


def evaluate_targets(
    rows: Sequence[ComparisonRow], side: SideFigures, *, full_task_count: int = 100_000
) -> list[Target]:
    """The issue's targets, each with this run's value (None when not measured)."""
    create = _row(rows, Workload.CREATE)
    get_task = _row(rows, Workload.GET_TASK)
    at = f"at {TARGET_CONNECTIONS} connections"

    def ratio_of(row: ComparisonRow | None, name: str) -> float | None:
        return None if row is None else row.ratios.get(name)

    p99s = [
        summary.p99_ms
        for row in (create, get_task)
        if row is not None and (summary := row.figures.get(SUBJECT)) is not None
    ]
    rss_mib = None if side.rss_bytes_at_tasks is None else round(side.rss_bytes_at_tasks / MIB, 1)
    rss_note = ""
    if side.rss_tasks is not None and side.rss_tasks != full_task_count:
        rss_note = f"measured at {side.rss_tasks:,} tasks, not {full_task_count:,}"
    notes = side.notes
    load_note = notes.get("load", "")
    return [
        Target(f"create rps mock/prism {at}", 5.0, True, ratio_of(create, "mock/prism"), load_note),
        Target(
            f"create rps mock/ceiling {at}", 0.6, True, ratio_of(create, "mock/ceiling"), load_note
        ),
        Target(
            f"get-task rps mock/ceiling {at}",
            0.7,
            True,
            ratio_of(get_task, "mock/ceiling"),
            load_note,
        ),
        Target(
            f"mock p99 ms, create and get-task, {at}",
            20.0,
            False,
            max(p99s, default=None),
            load_note,
        ),
        Target(
            "accept 10 MB base64 PNG / base64-decode it",
            3.0,
            False,
            side.payload_accept_over_decode,
            notes.get("payload", ""),
        ),
        Target(
            f"mock RSS MiB after {full_task_count:,} tasks",
            300.0,
            False,
            rss_mib,
            rss_note or notes.get("memory", ""),
            full_scale=not rss_note,
        ),
        Target(
            "KlingExpand.get / raw httpx GET",
            1.3,
            False,
            side.sdk_over_httpx,
            notes.get("sdk", ""),
        ),
    ]


def _cell_text(summary: WrkSummary | None) -> tuple[str, str, str]:
    if summary is None:
        return ("-", "-", "-")
    flag = "!" if summary.errors.total else ""
    return (
        f"{summary.requests_per_s:,.0f}{flag}",
        f"{summary.p50_ms:.2f}",
        f"{summary.p99_ms:.2f}",
    )


def table_rows(rows: Sequence[ComparisonRow]) -> list[list[str]]:
    """The throughput table as text cells: workload, connections, then per server
    rps/p50/p99 (``!`` marks a run with errors), then the ratios."""
    out = []
    for row in rows:
        cells = [row.workload.value, str(row.connections)]
        for server in row.figures:
            cells += _cell_text(row.figures[server])
        cells += ["-" if value is None else f"{value:.2f}" for value in row.ratios.values()]
        out.append(cells)
    return out


def throughput_table(rows: Sequence[ComparisonRow]) -> Table:
    """The rich table printed at the end of a run."""
    table = Table(title="requests/s and latency (ms) per server; ! = some requests failed")
    table.add_column("workload")
    table.add_column("conns", justify="right")
    servers = list(rows[0].figures) if rows else list(SERVER_ORDER)
    for server in servers:
        for unit in ("rps", "p50", "p99"):
            table.add_column(f"{server} {unit}", justify="right")
    for name in rows[0].ratios if rows else ():
        table.add_column(name, justify="right")
    for cells in table_rows(rows):
        table.add_row(*cells)
    return table


def targets_table(targets: Sequence[Target]) -> Table:
    table = Table(title="targets")
    for column in ("target", "limit", "value", "verdict", "note"):
        table.add_column(column)
    for target in targets:
        data = target.to_json()
        value = "-" if target.value is None else f"{target.value:g}"
        table.add_row(target.name, data["limit"], value, data["verdict"], target.note)
    return table


def markdown_table(rows: Sequence[ComparisonRow]) -> str:
    """The throughput table as Markdown, for the README."""
    if not rows:
        return ""
    header = ["workload", "conns"]
    for server in rows[0].figures:
        header += [f"{server} rps", f"{server} p50", f"{server} p99"]
    header += list(rows[0].ratios)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_rows(rows)]
    return "\n".join(lines)
