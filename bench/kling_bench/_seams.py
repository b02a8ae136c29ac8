"""Where the mock server and the SDK plug into the benchmarks.

**This is the one module to adapt** if the mock's or the SDK's entry points
change. Every part of the harness that needs them goes through these functions,
and each says in plain words why it cannot run when an entry point is missing,
so those benchmarks are skipped with that message instead of failing.

- The mock under load runs as its own process: ``python -m kling_mock serve
  --host H --port P`` (``KLING_BENCH_MOCK_CMD`` overrides it, with ``{host}``
  and ``{port}`` placeholders, e.g. ``kling-mock serve --host {host} --port {port}``).
- The in-process mock (for the SDK's overhead) is ``kling_mock.create_app()``.
- The SDK is ``kling_expand.KlingExpand(api_key=..., base_url=...)`` and its ``get``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shlex
import sys
from collections.abc import Callable
from typing import Any

MOCK_COMMAND_ENV = "KLING_BENCH_MOCK_CMD"
API_KEY_ENV = "KLING_BENCH_API_KEY"
# Used only when neither --api-key, $KLING_BENCH_API_KEY nor kling_mock.DEFAULT_API_KEY
# gives one; the mock answers 401 to it and the harness says so.
FALLBACK_API_KEY = "bench-dev-key"


class SeamUnavailable(RuntimeError):
    """A benchmark's entry point is not provided (yet); the message says which."""


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def default_api_key() -> str:
    """The key the benchmarks send: $KLING_BENCH_API_KEY, the mock's documented dev key,
    or a placeholder."""
    from_env = os.environ.get(API_KEY_ENV)
    if from_env:
        return from_env
    mock = _module("kling_mock")
    documented = getattr(mock, "DEFAULT_API_KEY", None)
    return documented if isinstance(documented, str) else FALLBACK_API_KEY


def mock_command(host: str, port: int) -> list[str]:
    """The command that serves the mock on ``host:port`` with its production settings."""
    override = os.environ.get(MOCK_COMMAND_ENV)
    if override:
        return shlex.split(override.format(host=host, port=port))
    return [sys.executable, "-m", "kling_mock", "serve", "--host", host, "--port", str(port)]


def mock_command_unavailable() -> str | None:
    """Why :func:`mock_command` cannot run here, or None when it can."""
    if os.environ.get(MOCK_COMMAND_ENV):
        return None
    try:
        main = importlib.util.find_spec("kling_mock.__main__")
    except ImportError:
        main = None
    if main is None:
        return (
            "kling_mock provides no `python -m kling_mock serve` entry point yet "
            f"(no kling_mock/__main__.py); set {MOCK_COMMAND_ENV} to serve it another way"
        )
    return None


def build_mock_app() -> Any:
    """The mock as an ASGI app in this process, from ``kling_mock.create_app()``."""
    factory = getattr(_module("kling_mock"), "create_app", None)
    if not callable(factory):
        raise SeamUnavailable("kling_mock does not export create_app yet")
    try:
        return factory()
    except TypeError as exc:
        raise SeamUnavailable(
            f"kling_mock.create_app() needs arguments ({exc}): adapt build_mock_app "
            "in bench/kling_bench/_seams.py"
        ) from exc


def sdk_getter(base_url: str, api_key: str) -> tuple[Callable[[str], Any], Callable[[], None]]:
    """``KlingExpand(...).get`` against ``base_url``, and a function that closes the client."""
    sdk_class = getattr(_module("kling_expand"), "KlingExpand", None)
    if sdk_class is None:
        raise SeamUnavailable("kling_expand does not export KlingExpand yet")
    client = sdk_class(api_key=api_key, base_url=base_url)
    get = getattr(client, "get", None)
    if not callable(get):
        raise SeamUnavailable("kling_expand.KlingExpand has no get(task_id) method")
    close = getattr(client, "close", None)
    return get, (close if callable(close) else (lambda: None))
