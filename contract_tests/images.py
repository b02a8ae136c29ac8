"""Real images, made with Pillow at whatever size a test draws, cached by size.

Each image carries a pattern (not a flat colour) so that a test can find the
original's pixels inside an expanded canvas. A PNG can also be padded to an
exact byte size with a private ancillary chunk, which decoders skip: an image
of exactly the spec's byte limit costs no more pixels than a small one.
"""

from __future__ import annotations

import base64
import functools
import io
import random
import struct
import zlib
from dataclasses import dataclass

from PIL import Image

_TILE = 8  # the pattern's cells, in pixels: big enough to survive JPEG, small enough to locate


@dataclass(frozen=True)
class ImageSpec:
    """The image a request carries: its format (a Pillow name, lower case) and pixel size."""

    format: str
    width: int
    height: int
    #: the encoded size in bytes, reached with padding (PNG only); None: as encoded
    size_bytes: int | None = None

    def encoded(self) -> bytes:
        data = image_bytes(self.format, self.width, self.height)
        return data if self.size_bytes is None else padded_png(data, self.size_bytes)

    def base64(self) -> str:
        return _base64_of(self)

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


# A PNG chunk type whose case bits say: ancillary (decoders may skip it), private,
# safe to copy. Its frame is a 4-byte length, the type, the data and a 4-byte CRC.
_PADDING_CHUNK = b"ctPd"
_CHUNK_FRAME = 12
_SIGNATURE_AND_IHDR = 8 + _CHUNK_FRAME + 13


@functools.lru_cache(maxsize=4)
def padded_png(data: bytes, size: int) -> bytes:
    """``data`` (a PNG) grown to exactly ``size`` bytes by a padding chunk after IHDR."""
    if data[1:4] != b"PNG":
        raise ValueError("only a PNG can be padded")
    filler = size - len(data) - _CHUNK_FRAME
    if filler < 0:
        raise ValueError(f"the PNG is {len(data)} bytes, over {size} even without padding")
    payload = bytes(filler)
    crc = zlib.crc32(_PADDING_CHUNK + payload)
    chunk = struct.pack(">I", filler) + _PADDING_CHUNK + payload + struct.pack(">I", crc)
    return data[:_SIGNATURE_AND_IHDR] + chunk + data[_SIGNATURE_AND_IHDR:]


@functools.lru_cache(maxsize=8)
def _base64_of(image: ImageSpec) -> str:
    return base64.b64encode(image.encoded()).decode("ascii")
