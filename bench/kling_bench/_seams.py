"""Where the mock server and the SDK plug into the benchmarks.

**This is the one module to adapt** if the mock's or the SDK's entry points
change. Every part of the harness that needs them goes through these functions,
and each says in plain words why it cannot run when an entry point is missing,
so those benchmarks are skipped with that message instead of failing.

- The mock under load runs in its own process, under the same uvicorn command
  line as the ceiling (production settings: no access log, warnings only):
  ``uvicorn --factory kling_bench._seams:bench_mock_app``, which builds
  ``kling_mock.create_app(kling_mock.MockConfig(**overrides))`` with the
  overrides the harness passes in ``$KLING_BENCH_MOCK_CONFIG`` (JSON).
  ``KLING_BENCH_MOCK_CMD`` replaces the whole command, with ``{host}`` and
  ``{port}`` placeholders, e.g. ``kling-mock serve --host {host} --port {port}``.
- The memory figure evicts tasks through the mock's admin API: it moves the
  mock's (frozen) clock past the task TTL.
- The in-process mock (for the SDK's overhead) is ``create_app(MockConfig())``.
- The SDK is ``kling_expand.KlingExpand(api_key=..., base_url=...)`` and its ``get``.
"""

from __future__ import annotations

import importlib
import json
import os
import shlex
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ._uvicorn import uvicorn_factory_command

MOCK_COMMAND_ENV = "KLING_BENCH_MOCK_CMD"
MOCK_CONFIG_ENV = "KLING_BENCH_MOCK_CONFIG"
API_KEY_ENV = "KLING_BENCH_API_KEY"
# Used only when neither --api-key, $KLING_BENCH_API_KEY nor kling_mock.DEFAULT_DEV_KEY
# gives one; the mock answers 401 to it and the harness says so.
FALLBACK_API_KEY = "bench-dev-key"
# Under load the mock runs as under `kling-mock serve`: its clock follows real time and
# start-up objects are frozen out of the garbage collector.
LOAD_CONFIG: Mapping[str, Any] = {"clock_frozen": False, "freeze_startup_heap": True}
# For the memory figure: keep every task (no count cap below the run's), on a clock
# that moves only when the harness advances it past this TTL to evict them all.
MEMORY_TASK_TTL_S = 3600.0


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
    documented = getattr(_module("kling_mock"), "DEFAULT_DEV_KEY", None)
    return documented if isinstance(documented, str) else FALLBACK_API_KEY


def _mock_factory() -> tuple[Callable[..., Any], Callable[..., Any]]:
    mock = _module("kling_mock")
    create_app = getattr(mock, "create_app", None)
    config_class = getattr(mock, "MockConfig", None)
    if not callable(create_app) or not callable(config_class):
        raise SeamUnavailable("kling_mock does not export create_app and MockConfig yet")
    return create_app, config_class


def build_mock_app(overrides: Mapping[str, Any] | None = None) -> Any:
    """The mock as an ASGI app: ``create_app(MockConfig(**overrides))``."""
    create_app, config_class = _mock_factory()
    try:
        return create_app(config_class(**dict(overrides or {})))
    except TypeError as exc:
        raise SeamUnavailable(
            f"kling_mock.MockConfig refused {dict(overrides or {})}: {exc}; "
            "adapt bench/kling_bench/_seams.py"
        ) from exc


def bench_mock_app() -> Any:
    """The uvicorn ``--factory`` for the mock process: overrides from $KLING_BENCH_MOCK_CONFIG."""
    return build_mock_app(json.loads(os.environ.get(MOCK_CONFIG_ENV) or "{}"))


def mock_environment(overrides: Mapping[str, Any]) -> dict[str, str]:
    """The environment that hands ``overrides`` to :func:`bench_mock_app`."""
    return {MOCK_CONFIG_ENV: json.dumps(dict(overrides))}


def memory_config(tasks: int) -> dict[str, Any]:
    """Mock settings for the memory figure: room for ``tasks`` tasks, a frozen clock."""
    return {"clock_frozen": True, "max_tasks": tasks, "task_ttl_seconds": MEMORY_TASK_TTL_S}


def mock_command(host: str, port: int) -> list[str]:
    """The command that serves the mock on ``host:port`` with production settings."""
    override = os.environ.get(MOCK_COMMAND_ENV)
    if override:
        return shlex.split(override.format(host=host, port=port))
    return uvicorn_factory_command("kling_bench._seams:bench_mock_app", host, port)


def mock_command_unavailable() -> str | None:
    """Why :func:`mock_command` cannot run here, or None when it can."""
    if os.environ.get(MOCK_COMMAND_ENV):
        return None
    try:
        _mock_factory()
    except SeamUnavailable as exc:
        return f"{exc}; set {MOCK_COMMAND_ENV} to serve a mock another way"
    return None


def evict_all_tasks(client: httpx.Client) -> None:
    """Move the mock's clock past the task TTL (admin API), so every task expires."""
    prefix = getattr(_module("kling_mock"), "ADMIN_PREFIX", None)
    if not isinstance(prefix, str):
        raise SeamUnavailable("kling_mock does not export ADMIN_PREFIX (its admin API)")
    answer = client.post(f"{prefix}/clock/advance", json={"seconds": MEMORY_TASK_TTL_S + 1})
    answer.raise_for_status()


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
