"""What an image is, read from its first bytes: format by magic number, size from its header.

Nothing here decodes pixels, so a decompression bomb (a small file whose header
claims 50000x50000) costs nothing to inspect, and inspecting a 10 MB upload
costs about as much as checking its chunk checksums.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_OTHER_SIGNATURES = (
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


class ImageError(ValueError):
    """The bytes are not a readable image: unknown, corrupt or truncated."""


@dataclass(frozen=True)
class ImageInfo:
    """An image's format (``jpeg``, ``png``, ``gif``...), pixel size and byte size."""

    format: str
    width: int
    height: int
    size_bytes: int


def inspect_image(data: bytes) -> ImageInfo:
    """Identify ``data`` by its magic number and read its size from the header.

    JPEG and PNG are checked whole (PNG chunk checksums, JPEG end marker), so a
    truncated or corrupted upload is refused here. Other formats are named,
    not measured, so that the caller can say which format it got.

    >>> inspect_image(b"GIF89a" + bytes(10)).format
    'gif'
    """
    if data.startswith(_PNG_SIGNATURE):
        width, height = _png_size(data)
        return ImageInfo("png", width, height, len(data))
    if data.startswith(_JPEG_SIGNATURE):
        width, height = _jpeg_size(data)
        return ImageInfo("jpeg", width, height, len(data))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageInfo("webp", 0, 0, len(data))
    for signature, name in _OTHER_SIGNATURES:
        if data.startswith(signature):
            return ImageInfo(name, 0, 0, len(data))
    head = data[:256].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return ImageInfo("svg", 0, 0, len(data))
    raise ImageError("the data is not an image of any known format")


def _png_size(data: bytes) -> tuple[int, int]:
    offset = len(_PNG_SIGNATURE)
    size: tuple[int, int] | None = None
    while True:
        if offset + 8 > len(data):
            raise ImageError("the PNG is truncated (no IEND chunk)")
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        end = offset + 12 + length
        if end > len(data):
            raise ImageError("the PNG is truncated inside a chunk")
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : end])
        if zlib.crc32(body, zlib.crc32(kind)) != crc:
            raise ImageError(f"the PNG is corrupt (bad checksum in its {kind!r} chunk)")
        if size is None:
            if kind != b"IHDR" or length < 8:
                raise ImageError("the PNG is corrupt (it does not start with IHDR)")
            size = struct.unpack(">II", body[:8])
        if kind == b"IEND":
            if size[0] == 0 or size[1] == 0:
                raise ImageError("the PNG claims a zero width or height")
            return size
        offset = end


def _jpeg_size(data: bytes) -> tuple[int, int]:
    if data.rstrip(b"\x00")[-2:] != b"\xff\xd9":
        raise ImageError("the JPEG is truncated (no end-of-image marker)")
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            raise ImageError("the JPEG is corrupt (expected a marker)")
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            offset += 2
            continue
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if marker in _JPEG_SOF:
            if offset + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            if width == 0 or height == 0:
                raise ImageError("the JPEG claims a zero width or height")
            return width, height
        offset += 2 + length
    raise ImageError("the JPEG is corrupt (no frame header)")
