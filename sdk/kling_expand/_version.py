"""The installed distribution's version, as ``pip show`` knows it.

Read on first use: :mod:`importlib.metadata` costs imports a plain
``import kling_expand`` does not need.
"""

from __future__ import annotations

import functools

DISTRIBUTION = "kling-expand-toolkit"


@functools.cache
def installed_version() -> str:
    """The version of :data:`DISTRIBUTION`, or ``0+unknown`` in a tree never installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # pragma: no cover - running from a tree never installed
        return "0+unknown"
