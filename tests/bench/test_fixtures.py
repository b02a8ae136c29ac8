"""The fixture-cost figures: every fixture measured, next to the in-process baseline."""

from __future__ import annotations

from kling_bench import _fixtures


def test_every_fixture_and_the_in_process_baseline_get_a_cost() -> None:
    costs = _fixtures.fixture_costs(tests=3)
    assert set(costs) == {*_fixtures.FIXTURES, _fixtures.BASELINE}
    assert all(cost > 0 for cost in costs.values())


def test_the_plugin_import_cost_is_read_from_importtime() -> None:
    assert 0 < _fixtures.plugin_import_ms(runs=1) < 1000
