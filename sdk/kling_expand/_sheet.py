"""The before/after sheet: the original next to the expanded result."""

from __future__ import annotations

import base64
import binascii
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ._images import ImageInput, is_pil_image
from ._ratios import Ratios, canvas_geometry

if TYPE_CHECKING:
    from PIL import Image


def compose_before_after(
    original: ImageInput,
    expanded: bytes | os.PathLike[str] | Image.Image,
    ratios: Ratios,
    destination: os.PathLike[str] | str,
    *,
    height: int = 480,
) -> Path:
    """Write a PNG with the original on the left and the expanded image on the right.

    Both are scaled to ``height``; on the right, the original's place is outlined
    (from :func:`canvas_geometry`, scaled to the canvas actually returned).
    """
    from PIL import Image, ImageDraw, ImageOps  # only a sheet needs drawing

    before = _open(original)
    after = _open(expanded)
    width, height_px = before.size
    canvas_w, canvas_h, x, y = canvas_geometry(width, height_px, ratios)
    scale_after = height / after.height
    before_small = ImageOps.contain(before, (10**6, height))
    after_small = after.resize((max(1, round(after.width * scale_after)), height))
    gap = 24
    sheet = Image.new("RGB", (before_small.width + gap + after_small.width, height + 32), "white")
    sheet.paste(before_small.convert("RGB"), (0, 32))
    sheet.paste(after_small.convert("RGB"), (before_small.width + gap, 32))
    draw = ImageDraw.Draw(sheet)
    draw.text((4, 8), "before", fill="black")
    draw.text((before_small.width + gap + 4, 8), "after", fill="black")
    # Where the original sits in the canvas, scaled to the returned image's size.
    sx, sy = after_small.width / canvas_w, after_small.height / canvas_h
    left = before_small.width + gap + round(x * sx)
    top = 32 + round(y * sy)
    box = (left, top, left + round(width * sx) - 1, top + round(height_px * sy) - 1)
    draw.rectangle(box, outline=(255, 0, 64), width=3)
    target = Path(destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(target, format="PNG")
    return target


def _open(image: ImageInput | Image.Image) -> Image.Image:
    """A fully loaded image (no file left open) from any input that carries pixels."""
    from PIL import Image

    if is_pil_image(image):
        return image
    if isinstance(image, bytes):
        source: io.BytesIO | Path = io.BytesIO(image)
    elif isinstance(image, str) and not Path(image).is_file():
        try:
            source = io.BytesIO(base64.b64decode(image, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise ValueError("compose_before_after needs the image itself, not a URL") from exc
    else:
        source = Path(image)
    with Image.open(source) as opened:
        return opened.copy()
