"""The payload path: a 10 MB PNG uploaded as base64, and rendering the largest result.

The floor for accepting an upload is base64-decoding it: any server has to do
that much. The mock's figure is the round trip of the real request to the real
server; the in-process figure is the shared validation (``kling_spec``) alone.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from PIL import Image

from kling_spec import (
    CREATE_PATH,
    ExpandConstraints,
    check_expand_request,
    decode_image_field,
    inspect_image,
)

from ._requests import example_create_body, task_id_of, task_path
from ._timing import median_seconds

_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_FINAL_STATUSES = {"succeed", "failed"}


@functools.cache  # the same upload serves the in-process and the HTTP figures
def noise_png(max_bytes: int, *, seed: int = 0) -> bytes:
    """A square RGB PNG of random pixels just under ``max_bytes`` (noise does not compress).

    >>> data = noise_png(400 * 1024)
    >>> len(data) <= 400 * 1024 and data[:4] == b"\\x89PNG"
    True
    """
    # Room for the PNG chunks, one filter byte per row and zlib's framing.
    overhead = max_bytes // 200 + 1024
    side = math.isqrt((max_bytes - overhead) // 3)
    rng = random.Random(seed)
    while True:
        image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1)
        data = buffer.getvalue()
        if len(data) <= max_bytes:
            return data
        side -= max(1, side // 100)


@functools.cache
def gradient_png(side: int) -> bytes:
    """A smooth square PNG (it compresses, so even 4096 px fits the byte limit)."""
    ramp = Image.linear_gradient("L").resize((side, side))
    image = Image.merge("RGB", (ramp, ramp.rotate(90), ramp.rotate(180)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def max_area_ratios(constraints: ExpandConstraints) -> dict[str, float]:
    """Ratios whose canvas is exactly ``max_area_factor`` times the source: all of it
    above and below, nothing left or right.

    >>> c = ExpandConstraints.from_spec()
    >>> c.area_factor_of(max_area_ratios(c)) == c.max_area_factor
    True
    """
    each = (constraints.max_area_factor - 1) / 2
    ratios = dict.fromkeys(constraints.horizontal_fields, 0.0)
    ratios |= dict.fromkeys(constraints.vertical_fields, each)
    for name, value in ratios.items():
        if not constraints.ratio_bounds[name].contains(value):
            raise ValueError(f"{name}={value} is outside the spec's bounds")
    return ratios


def canvas_size(
    width: int, height: int, ratios: Mapping[str, float], c: ExpandConstraints
) -> tuple[int, int]:
    """The expanded canvas by the project's rounding convention (see x-kling-constraints).

    >>> c = ExpandConstraints.from_spec()
    >>> canvas_size(100, 100, max_area_ratios(c), c)
    (100, 300)
    """
    up, down = (ratios[name] for name in c.vertical_fields)
    left, right = (ratios[name] for name in c.horizontal_fields)
    return round(width * (1 + left + right)), round(height * (1 + up + down))


def render_reference_seconds(
    source: bytes, ratios: Mapping[str, float], c: ExpandConstraints
) -> float:
    """What Pillow alone takes to place ``source`` on its expanded canvas and encode a PNG."""
    start = time.perf_counter()
    with Image.open(io.BytesIO(source)) as image:
        image.load()
        up = ratios[c.vertical_fields[0]]
        left = ratios[c.horizontal_fields[0]]
        canvas = Image.new("RGB", canvas_size(image.width, image.height, ratios, c))
        canvas.paste(image, (round(image.width * left), round(image.height * up)))
        canvas.save(io.BytesIO(), format="PNG")
    return time.perf_counter() - start


@dataclass(frozen=True)
class UploadFigures:
    """Accepting a base64 PNG of ``png_bytes`` bytes, against decoding it."""

    png_bytes: int
    body_bytes: int
    decode_floor_s: float
    validate_in_process_s: float
    accept_http_s: float | None = None
    note: str = ""

    @property
    def accept_over_decode(self) -> float | None:
        if self.accept_http_s is None or not self.decode_floor_s:
            return None
        return round(self.accept_http_s / self.decode_floor_s, 2)

    def to_json(self) -> dict[str, Any]:
        validate_ratio = round(self.validate_in_process_s / self.decode_floor_s, 2)
        return asdict(self) | {
            "accept_over_decode": self.accept_over_decode,
            "validate_over_decode": validate_ratio,
        }


@dataclass(frozen=True)
class Upload:
    """A create request carrying ``png`` as base64, ready to send."""

    png: bytes
    encoded: str
    body: dict[str, Any]
    body_bytes: bytes

    @classmethod
    def of(cls, png: bytes, ratios: Mapping[str, float] | None = None) -> Upload:
        encoded = base64.b64encode(png).decode("ascii")
        body = example_create_body() | {"image": encoded} | dict(ratios or {})
        return cls(png, encoded, body, json.dumps(body).encode())


def measure_upload_in_process(
    upload: Upload, c: ExpandConstraints, *, repeat: int
) -> UploadFigures:
    """The floor (base64-decode) and the shared validation path, in this process."""

    def validate() -> None:
        data = decode_image_field(upload.encoded, c)
        assert data is not None
        violations = check_expand_request(upload.body, c, image=inspect_image(data))
        if violations:
            raise ValueError(f"the benchmark upload is invalid: {violations}")

    validate()  # fail loudly before timing if the upload is not a valid request
    return UploadFigures(
        png_bytes=len(upload.png),
        body_bytes=len(upload.body_bytes),
        decode_floor_s=median_seconds(lambda: base64.b64decode(upload.encoded), repeat=repeat),
        validate_in_process_s=median_seconds(validate, repeat=repeat),
    )


def post_create(client: httpx.Client, upload: Upload) -> str:
    """Send the upload; the new task's id (ValueError for anything but a success)."""
    response = client.post(
        CREATE_PATH, content=upload.body_bytes, headers={"Content-Type": "application/json"}
    )
    return task_id_of(response.json())


def measure_upload_http(client: httpx.Client, upload: Upload, *, repeat: int) -> float:
    """The median round trip of creating a task with ``upload`` on a live server."""
    post_create(client, upload)  # warm, and fail before timing if the server refuses it
    return median_seconds(lambda: post_create(client, upload), repeat=repeat)


@dataclass(frozen=True)
class RenderFigures:
    """Rendering the result of a max-area expansion of a ``source_px`` square source."""

    source_px: int
    canvas: tuple[int, int]
    pillow_reference_s: float | None
    mock_create_to_final_s: float | None = None
    mock_result_download_s: float | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def measure_mock_render(
    client: httpx.Client,
    upload: Upload,
    *,
    deadline_s: float,
    poll_interval_s: float = 0.05,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[float, float | None, str]:
    """Create with ``upload``, poll to a final status, fetch the first result if it is
    served on loopback. Returns (create to final, download, note)."""
    start = clock()
    task_id = post_create(client, upload)
    record: Any = {}
    while clock() - start < deadline_s:
        record = client.get(task_path(task_id)).json().get("data", {})
        if record.get("task_status") in _FINAL_STATUSES:
            break
        sleep(poll_interval_s)
    else:
        raise TimeoutError(f"the task did not finish within {deadline_s:g} s")
    to_final = clock() - start
    if record.get("task_status") != "succeed":
        return to_final, None, f"the task ended {record.get('task_status')}: {record}"
    images = (record.get("task_result") or {}).get("images") or []
    url = images[0].get("url", "") if images else ""
    if urlsplit(url).hostname not in _LOOPBACK_HOSTS:
        return to_final, None, f"result URL {url!r} is not served on loopback: not fetched"
    download_start = clock()
    response = client.get(url)
    response.raise_for_status()
    return to_final, clock() - download_start, ""
