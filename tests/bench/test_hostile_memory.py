"""The hostile-peer memory figure: a small round runs against a real served mock."""

from __future__ import annotations

import asyncio

import pytest

from kling_bench import _hostile_memory


def test_a_small_hostile_round_reports_bounded_rss_and_journal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a round scaled down to fit a unit test
    monkeypatch.setattr(_hostile_memory, "HEADER_REQUESTS", 2)
    monkeypatch.setattr(_hostile_memory, "STALLED_UPLOADS", 1)
    monkeypatch.setattr(_hostile_memory, "CALLBACK_TASKS", 5)

    # When it runs
    figures = asyncio.run(_hostile_memory._round())

    # Then every peer was answered and the figures are real readings
    assert figures["callback_tasks"] == 5
    assert 0 < figures["rss_start_mib"] <= figures["rss_peak_mib"]
    assert figures["rss_after_mib"] > 0
    assert 0 < figures["journal_bytes"] < 1024 * 1024  # huge headers are truncated
