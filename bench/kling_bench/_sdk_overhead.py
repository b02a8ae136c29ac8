"""The SDK's overhead: ``KlingExpand.get`` against a raw httpx GET, same mock, same task.

The mock runs in this process (uvicorn in a thread, on loopback), so both
clients pay the same server and network costs; the difference is the SDK's own
work (parsing into typed models, checks, retry bookkeeping). Calls alternate in
rounds so drift on a busy machine hits both sides alike.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import uvicorn

from kling_spec import CREATE_PATH

from . import _seams
from ._ports import LOOPBACK, pick_free_port, wait_for_port
from ._requests import auth_headers, example_create_body, task_id_of, task_path
from ._timing import per_call_seconds


@contextmanager
def serve_in_thread(
    app: Any, *, port: int | None = None, start_timeout_s: float = 20.0
) -> Iterator[str]:
    """Serve ``app`` with uvicorn on loopback (a free port unless given) in a thread;
    yield its base URL."""
    port = pick_free_port() if port is None else port
    config = uvicorn.Config(app, host=LOOPBACK, port=port, access_log=False, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="bench-mock", daemon=True)
    thread.start()
    try:
        wait_for_port(LOOPBACK, port, timeout_s=start_timeout_s, still_running=thread.is_alive)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass(frozen=True)
class SdkFigures:
    """Per-call seconds of each client (median over rounds) and their ratio."""

    calls_per_round: int
    rounds: int
    httpx_get_s: float
    sdk_get_s: float

    @property
    def sdk_over_httpx(self) -> float:
        return round(self.sdk_get_s / self.httpx_get_s, 3)

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"sdk_over_httpx": self.sdk_over_httpx}


def compare_clients(
    raw: Callable[[], object], sdk: Callable[[], object], *, calls: int, rounds: int
) -> SdkFigures:
    """Time ``calls`` back-to-back calls of each, alternating, for ``rounds`` rounds."""
    raw_samples, sdk_samples = [], []
    for _ in range(rounds):
        raw_samples.append(per_call_seconds(raw, calls=calls))
        sdk_samples.append(per_call_seconds(sdk, calls=calls))
    return SdkFigures(calls, rounds, statistics.median(raw_samples), statistics.median(sdk_samples))


def measure_sdk_overhead(api_key: str, *, calls: int, rounds: int) -> SdkFigures:
    """Both clients against one in-process mock (:class:`_seams.SeamUnavailable` if missing)."""
    app = _seams.build_mock_app()
    with serve_in_thread(app) as base_url:
        headers = auth_headers(api_key)
        with httpx.Client(base_url=base_url, headers=headers) as client:
            created = client.post(CREATE_PATH, json=example_create_body())
            task_id = task_id_of(created.json())
            path = task_path(task_id)

            def raw_get() -> object:
                response = client.get(path)
                response.raise_for_status()
                return response.json()

            sdk_get, close = _seams.sdk_getter(base_url, api_key)
            try:

                def sdk_call() -> object:
                    return sdk_get(task_id)

                for warm in (raw_get, sdk_call):
                    per_call_seconds(warm, calls=max(1, calls // 10))
                return compare_clients(raw_get, sdk_call, calls=calls, rounds=rounds)
            finally:
                close()
