"""The served mock's memory after hostile peers: huge headers, stalled uploads, hung callbacks.

A fresh process (so nothing else counts) serves a mock and, over real loopback
sockets, sends unauthenticated requests that each carry one huge header, opens
uploads that declare megabytes and send one byte, and creates tasks whose
callbacks go to a receiver that accepts and never answers, then moves the clock
so those callbacks fall due. It reports the resident size before, the peak, and
after the peers are gone, read from /proc/self/status, plus the journal's bytes.

``python -m kling_bench._hostile_memory`` prints the figures as JSON.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from kling_spec import CREATE_PATH

from ._fresh_process import run_json, status_bytes
from ._report import MIB

HEADER_REQUESTS = 40
HEADER_BYTES = 1024 * 1024
STALLED_UPLOADS = 8
STALLED_DECLARED = 5_000_000
CALLBACK_TASKS = 1000


def _stalled_upload(port: int) -> socket.socket:
    peer = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"POST {CREATE_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {STALLED_DECLARED}\r\n\r\n{{"
    )
    peer.sendall(head.encode())
    return peer


async def _round() -> dict[str, Any]:
    import httpx

    from kling_mock import MockConfig, MockKling

    config = MockConfig(body_timeout_seconds=1.0, callback_timeout_seconds=0.2)
    mock = MockKling(config)
    silent = socket.create_server(("127.0.0.1", 0), backlog=4096)  # accepts, never answers
    hook = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
    with mock.serve() as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        rss_start = status_bytes("VmRSS")
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=60) as peer:
            junk = {"X-Junk": "j" * HEADER_BYTES}
            answers = await asyncio.gather(
                *(peer.get(CREATE_PATH, headers=junk) for _ in range(HEADER_REQUESTS))
            )
            assert all(400 <= answer.status_code < 500 for answer in answers)
            stalled = [_stalled_upload(port) for _ in range(STALLED_UPLOADS)]
            keyed = mock.headers()
            constraints = mock.service.constraints
            body: dict[str, Any] = dict.fromkeys(constraints.ratio_fields, 0.1)
            body[constraints.image_field] = "https://example.com/a.jpg"
            body[constraints.callback_field] = hook
            created = await asyncio.gather(
                *(peer.post(CREATE_PATH, json=body, headers=keyed) for _ in range(CALLBACK_TASKS))
            )
            assert all(answer.status_code == 200 for answer in created), created[0].text
            for _ in range(3):
                await peer.post("/_mock/clock/advance", json={"seconds": 60}, headers=keyed)
            for upload in stalled:  # each answered (408) and closed by the body timeout
                while upload.recv(65536):
                    pass
                upload.close()
        await asyncio.sleep(1.0)  # let hung callback attempts run out
        rss_after = status_bytes("VmRSS")
        rss_peak = status_bytes("VmHWM")
        journal_bytes = mock.service.journal.bytes
    silent.close()
    return {
        "header_requests": HEADER_REQUESTS,
        "header_bytes": HEADER_BYTES,
        "stalled_uploads": STALLED_UPLOADS,
        "callback_tasks": CALLBACK_TASKS,
        "rss_start_mib": round(rss_start / MIB, 1),
        "rss_peak_mib": round(rss_peak / MIB, 1),
        "rss_after_mib": round(rss_after / MIB, 1),
        "journal_bytes": journal_bytes,
    }


def hostile_memory_report(log: Callable[[str], object]) -> dict[str, Any]:
    """The figures for the bench report (or why there are none), logged."""
    log(
        f"hostile peers: {HEADER_REQUESTS} x {HEADER_BYTES // 1024} KiB headers, "
        f"{STALLED_UPLOADS} stalled uploads, {CALLBACK_TASKS} callbacks to a silent receiver"
    )
    try:
        figures = run_json("kling_bench._hostile_memory", timeout=600)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        log(f"  failed: {exc}")
        return {"note": f"failed: {exc}"}
    log(
        f"  RSS start {figures['rss_start_mib']} MiB, peak {figures['rss_peak_mib']} MiB, "
        f"after {figures['rss_after_mib']} MiB; journal {figures['journal_bytes']} bytes"
    )
    return figures


if __name__ == "__main__":
    sys.stdout.write(json.dumps(asyncio.run(_round())) + "\n")
