import pytest

from kling_bench import CellResult, Target, Workload, comparison_rows, evaluate_targets
from kling_bench._report import (
    TARGET_CONNECTIONS,
    SideFigures,
    Verdict,
    markdown_table,
    ratio,
    table_rows,
)


@pytest.fixture
def cells(make_summary):
    """A run of all three servers at two concurrencies for create and get-task."""

    def make(**rps_by_server: float) -> list[CellResult]:
        return [
            CellResult(server, workload, connections, make_summary(rps))
            for workload in (Workload.CREATE, Workload.GET_TASK)
            for connections in (1, TARGET_CONNECTIONS)
            for server, rps in rps_by_server.items()
        ]

    return make


def test_ratios_compare_the_mock_with_each_reference_from_the_same_run(cells) -> None:
    rows = comparison_rows(cells(mock=3000, prism=500, ceiling=4000))

    assert [(r.workload, r.connections) for r in rows] == [
        (Workload.CREATE, 1),
        (Workload.CREATE, TARGET_CONNECTIONS),
        (Workload.GET_TASK, 1),
        (Workload.GET_TASK, TARGET_CONNECTIONS),
    ]
    assert all(r.ratios == {"mock/prism": 6.0, "mock/ceiling": 0.75} for r in rows)


def test_a_server_that_did_not_run_leaves_its_ratio_empty_not_zero(cells) -> None:
    rows = comparison_rows(cells(prism=500, ceiling=4000))

    assert rows[0].ratios == {"mock/prism": None, "mock/ceiling": None}
    assert rows[0].figures["mock"] is None


def test_ratio_refuses_a_zero_denominator() -> None:
    assert ratio(1, 0) is None
    assert ratio(0, 5) == 0.0


def test_targets_are_met_or_missed_by_this_runs_figures(cells) -> None:
    rows = comparison_rows(cells(mock=3000, prism=500, ceiling=4000))
    side = SideFigures(
        payload_accept_over_decode=2.5,
        rss_bytes_at_tasks=400 * 1024 * 1024,
        rss_tasks=100_000,
        sdk_over_httpx=None,
    )

    verdicts = {t.name.split(" at ")[0]: t.verdict for t in evaluate_targets(rows, side)}

    assert verdicts["create rps mock/prism"] is Verdict.MET  # 6x >= 5x
    assert verdicts["create rps mock/ceiling"] is Verdict.MET  # 75% >= 60%
    assert verdicts["get-task rps mock/ceiling"] is Verdict.MET
    assert verdicts["accept 10 MB base64 PNG / base64-decode it"] is Verdict.MET
    assert verdicts["mock RSS MiB after 100,000 tasks"] is Verdict.MISSED  # 400 > 300
    assert verdicts["KlingExpand.get / raw httpx GET"] is Verdict.NOT_MEASURED


def test_the_p99_target_takes_the_worst_of_create_and_get_task(make_summary) -> None:
    rows = comparison_rows(
        [
            CellResult("mock", Workload.CREATE, TARGET_CONNECTIONS, make_summary(p99_ms=12)),
            CellResult("mock", Workload.GET_TASK, TARGET_CONNECTIONS, make_summary(p99_ms=25)),
        ]
    )

    p99 = next(t for t in evaluate_targets(rows, SideFigures()) if "p99" in t.name)

    assert p99.value == 25
    assert p99.verdict is Verdict.MISSED


def test_memory_measured_on_fewer_tasks_is_only_indicative() -> None:
    side = SideFigures(rss_bytes_at_tasks=100 * 1024 * 1024, rss_tasks=5_000)

    memory = next(t for t in evaluate_targets([], side) if "RSS" in t.name)

    assert memory.verdict is Verdict.INDICATIVE
    assert "5,000" in memory.note


def test_a_target_at_its_limit_is_met() -> None:
    assert Target("x", 3.0, False, 3.0).verdict is Verdict.MET
    assert Target("y", 0.6, True, 0.6).verdict is Verdict.MET


def test_the_table_marks_runs_with_failed_requests(make_summary) -> None:
    rows = comparison_rows(
        [
            CellResult("mock", Workload.CREATE, 8, make_summary(1234, status_errors=3)),
            CellResult("ceiling", Workload.CREATE, 8, make_summary(2000)),
        ],
        servers=("mock", "ceiling"),
    )

    (cells,) = table_rows(rows)

    assert cells[:3] == ["create", "8", "1,234!"]
    assert cells[-1] == "0.62"  # mock/ceiling; no prism column when prism is not compared


def test_the_markdown_table_has_a_header_and_one_line_per_row(cells) -> None:
    text = markdown_table(comparison_rows(cells(mock=1, prism=1, ceiling=1)))

    lines = text.splitlines()
    assert lines[0].startswith("| workload | conns | mock rps |")
    assert len(lines) == 2 + 4
