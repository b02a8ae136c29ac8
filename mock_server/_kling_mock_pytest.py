"""pytest entry point (``kling_mock``): the mock's fixtures, when the mock is installed.

The distribution registers this module with pytest for every project that installs
it, SDK-only ones too. The fixtures (``kling_mock._pytest_plugin``) need the ``mock``
extra, so they are registered only when its packages can be imported; without them
pytest runs as if the plugin were not there.
"""

from __future__ import annotations

import importlib
import importlib.util

import pytest

PLUGIN = "kling_mock._pytest_plugin"
# The top-level modules of the `mock` extra the fixtures cannot run without. The plugin
# module itself imports none of them (it loads the mock when a fixture is first used),
# so they are looked up, not imported: pytest start-up pays nothing for them.
MOCK_EXTRA_MODULES = ("starlette", "uvicorn")


def mock_plugin() -> object | None:
    """The fixtures' module, or None when the ``mock`` extra is not installed."""
    if any(importlib.util.find_spec(name) is None for name in MOCK_EXTRA_MODULES):
        return None
    return importlib.import_module(PLUGIN)


def pytest_configure(config: pytest.Config) -> None:
    plugin = mock_plugin()
    if plugin is not None and not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, PLUGIN)
