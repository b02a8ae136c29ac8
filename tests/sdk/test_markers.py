"""How the SDK's tests are selected: the live ones never run in ``make test``."""

from __future__ import annotations


def test_the_live_tests_are_marked_live_so_the_default_run_deselects_them():
    from . import test_live

    marks = test_live.pytestmark
    assert any(mark.name == "live" for mark in marks)
