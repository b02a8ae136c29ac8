"""Real images, made with Pillow at whatever size a test draws, cached by size.

Each image carries a pattern (not a flat colour) so that a test can find the
original's pixels inside an expanded canvas.
"""

from __future__ import annotations

import base64
import functools
import io
import random
from dataclasses import dataclass

from PIL import Image

_TILE = 8  # the pattern's cells, in pixels: big enough to survive JPEG, small enough to locate


@dataclass(frozen=True)
class ImageSpec:
    """The image a request carries: its format (a Pillow name, lower case) and pixel size."""

    format: str
    width: int
    height: int

    def encoded(self) -> bytes:
        return image_bytes(self.format, self.width, self.height)

    def base64(self) -> str:
        return base64.b64encode(self.encoded()).decode("ascii")

    def pixels(self) -> Image.Image:
        return Image.open(io.BytesIO(self.encoded())).convert("RGB")


@functools.lru_cache(maxsize=256)
def image_bytes(kind: str, width: int, height: int) -> bytes:
    """A patterned RGB image of exactly ``width`` x ``height``, encoded as ``kind``."""
    rng = random.Random(f"{width}x{height}")
    cells = (-(-width // _TILE), -(-height // _TILE))
    tile = Image.frombytes("RGB", cells, rng.randbytes(3 * cells[0] * cells[1]))
    image = tile.resize((cells[0] * _TILE, cells[1] * _TILE), Image.Resampling.NEAREST)
    image = image.crop((0, 0, width, height))
    out = io.BytesIO()
    image.save(out, format=kind.upper())
    return out.getvalue()
