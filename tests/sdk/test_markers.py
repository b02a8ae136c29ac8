"""How the SDK's tests are selected: the live ones never run in ``make test``, and
when selected they are gated by ``COMETAPI_KEY`` alone, as for ``make contract-live``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

LIVE_MODULE = Path(__file__).with_name("test_live.py")


def test_the_live_tests_are_marked_live_so_the_default_run_deselects_them():
    from . import test_live

    marks = test_live.pytestmark
    assert any(mark.name == "live" for mark in marks)


def live_module_under(monkeypatch, environ: dict[str, str]):
    """``test_live`` as imported in an environment holding only ``environ`` of the switches."""
    for name in ("COMETAPI_KEY", "COMETAPI_LIVE_PAID", "KLING_LIVE", "KLING_LIVE_EXPAND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("live_gate_probe", LIVE_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def skipped(marks) -> bool:
    return any(mark.name == "skipif" and mark.args[0] for mark in marks)


@pytest.mark.parametrize(
    ("environ", "runs"),
    [
        ({"COMETAPI_KEY": "sk-live"}, True),
        ({}, False),
        ({"KLING_LIVE": "1"}, False),
        ({"COMETAPI_KEY": ""}, False),
    ],
    ids=["key", "nothing", "old-switch-only", "empty-key"],
)
def test_the_live_tests_run_exactly_when_the_key_is_set(monkeypatch, environ, runs):
    module = live_module_under(monkeypatch, environ)
    assert skipped(module.pytestmark) is not runs


def test_the_paid_live_test_also_needs_the_paid_switch_of_make_contract_live(monkeypatch):
    free = live_module_under(monkeypatch, {"COMETAPI_KEY": "sk-live"})
    paid = live_module_under(monkeypatch, {"COMETAPI_KEY": "sk-live", "COMETAPI_LIVE_PAID": "1"})
    paid_test = "test_the_real_service_expands_the_sample_photo"
    assert skipped(getattr(free, paid_test).pytestmark)
    assert not skipped(getattr(paid, paid_test).pytestmark)
