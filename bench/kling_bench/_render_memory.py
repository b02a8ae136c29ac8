"""The mock's memory while rendering the largest results, downloaded all at once.

A fresh process (so nothing else counts) runs a mock, creates one task with a
``side`` x ``side`` uploaded source expanded to the spec's maximum area, ``n``
results and a watermark, then downloads every watermarked result concurrently
over a real socket. It reports the peak resident size (``VmHWM``) and what stays
resident afterwards (``VmRSS``), both read from /proc/self/status.

``python -m kling_bench._render_memory [side] [n]`` prints the figures as JSON.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from kling_spec import CREATE_PATH, ExpandConstraints

from ._fresh_process import run_json, status_bytes
from ._report import MIB

FULL_SIDE = 4096


@dataclass(frozen=True)
class RenderMemory:
    """Peak and retained resident memory of one render-heavy download round."""

    side: int
    n: int
    canvas: tuple[int, int]
    rss_start_bytes: int
    rss_peak_bytes: int
    rss_after_bytes: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {
            "rss_start_mib": round(self.rss_start_bytes / MIB, 1),
            "rss_peak_mib": round(self.rss_peak_bytes / MIB, 1),
            "rss_after_mib": round(self.rss_after_bytes / MIB, 1),
        }


def max_area_ratios(constraints: ExpandConstraints) -> dict[str, float]:
    """Equal ratios on every side whose canvas is as close to the area limit as 4 decimals get."""
    side = (math.sqrt(constraints.max_area_factor) - 1) / 2
    for name in constraints.ratio_fields:
        side = min(side, constraints.ratio_bounds[name].maximum)
    ratio = math.floor(side * 10_000) / 10_000
    ratios = dict.fromkeys(constraints.ratio_fields, ratio)
    assert constraints.area_ok(ratios)
    return ratios


def _source_png(side: int) -> bytes:
    from kling_mock._render import synthetic_image

    out = io.BytesIO()
    synthetic_image("render-memory", side, side).save(out, "PNG")
    return out.getvalue()


async def _round(side: int, n: int) -> RenderMemory:
    import httpx

    from kling_mock import MockConfig, MockKling
    from kling_spec import expanded_canvas

    constraints = ExpandConstraints.from_spec()
    ratios = max_area_ratios(constraints)
    body: dict[str, Any] = dict(ratios)
    body[constraints.image_field] = base64.b64encode(_source_png(side)).decode()
    body["n"] = n
    body["watermark_info"] = {"enabled": True}
    mock = MockKling(MockConfig())
    canvas = expanded_canvas(side, side, ratios, constraints)
    with mock.serve() as server:
        async with httpx.AsyncClient(
            base_url=server.base_url, headers=mock.headers(), timeout=600
        ) as client:
            created = await client.post(CREATE_PATH, json=body)
            created.raise_for_status()
            task_id = created.json()["data"]["task_id"]
            del body
            await mock.advance_async(3600)
            task = (await client.get(f"{CREATE_PATH}/{task_id}")).json()["data"]
            urls = [image["watermark_url"] for image in task["task_result"]["images"]]
            rss_start = status_bytes("VmRSS")
            answers = await asyncio.gather(*(client.get(url) for url in urls))
            for answer in answers:
                answer.raise_for_status()
            del answers
        rss_after = status_bytes("VmRSS")
        rss_peak = status_bytes("VmHWM")
    return RenderMemory(side, n, (canvas.width, canvas.height), rss_start, rss_peak, rss_after)


def measure_render_memory(side: int = FULL_SIDE, n: int | None = None) -> RenderMemory:
    """Run one round in a fresh interpreter (``n`` defaults to the spec's largest)."""
    count = n if n is not None else int(ExpandConstraints.from_spec().n_bound.maximum)
    figures = run_json("kling_bench._render_memory", str(side), str(count), timeout=1800)
    return RenderMemory(
        figures["side"],
        figures["n"],
        (figures["canvas"][0], figures["canvas"][1]),
        figures["rss_start_bytes"],
        figures["rss_peak_bytes"],
        figures["rss_after_bytes"],
    )


def render_memory_report(log: Callable[[str], object]) -> dict[str, Any]:
    """The full-size figures for the bench report (or why there are none), logged."""
    log(f"render memory: {FULL_SIDE} px source, largest area and n, all downloaded at once")
    try:
        figures = measure_render_memory().to_json()
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        log(f"  failed: {exc}")
        return {"note": f"failed: {exc}"}
    log(
        f"  canvas {figures['canvas'][0]}x{figures['canvas'][1]}: RSS peak "
        f"{figures['rss_peak_mib']} MiB, after {figures['rss_after_mib']} MiB"
    )
    return figures


def main(argv: list[str]) -> int:
    side = int(argv[0]) if argv else FULL_SIDE
    n = int(argv[1]) if len(argv) > 1 else int(ExpandConstraints.from_spec().n_bound.maximum)
    sys.stdout.write(json.dumps(asyncio.run(_round(side, n)).to_json()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
