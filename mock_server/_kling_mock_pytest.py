"""pytest entry point (``kling_mock``): the mock's fixtures, when the mock is installed.

The distribution registers this module with pytest for every project that installs
it, SDK-only ones too. The fixtures (``kling_mock._pytest_plugin``) need the ``mock``
extra, so they are registered only when its packages can be imported; without them
pytest runs as if the plugin were not there.
"""

from __future__ import annotations

import importlib

import pytest

PLUGIN = "kling_mock._pytest_plugin"
# The top-level modules the `mock` extra brings.
MOCK_EXTRA_MODULES = frozenset({"starlette", "uvicorn", "httptools", "uvloop"})


def mock_plugin() -> object | None:
    """The fixtures' module, or None when the ``mock`` extra is not installed."""
    try:
        return importlib.import_module(PLUGIN)
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in MOCK_EXTRA_MODULES:
            return None
        raise


def pytest_configure(config: pytest.Config) -> None:
    plugin = mock_plugin()
    if plugin is not None and not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, PLUGIN)
