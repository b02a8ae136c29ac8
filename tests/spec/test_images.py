"""inspect_image names the format and size from the header, and refuses broken files."""

import io
import struct
import zlib

import pytest
from PIL import Image

from kling_spec import ImageError, inspect_image


def encoded(fmt: str, size: tuple[int, int] = (320, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=fmt)
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "png"), ("JPEG", "jpeg")])
@pytest.mark.parametrize("size", [(320, 240), (301, 750), (1, 1)])
def test_supported_images_are_measured_from_their_header(fmt, name, size) -> None:
    data = encoded(fmt, size)

    assert inspect_image(data) == inspect_image(data)
    info = inspect_image(data)
    assert (info.format, info.width, info.height, info.size_bytes) == (name, *size, len(data))


def test_a_progressive_jpeg_is_measured_too() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "blue").save(buffer, format="JPEG", progressive=True)

    assert (inspect_image(buffer.getvalue()).width, inspect_image(buffer.getvalue()).height) == (
        640,
        480,
    )


@pytest.mark.parametrize(
    ("fmt", "name"), [("GIF", "gif"), ("WEBP", "webp"), ("BMP", "bmp"), ("TIFF", "tiff")]
)
def test_other_formats_are_named_so_the_caller_can_refuse_them(fmt, name) -> None:
    assert inspect_image(encoded(fmt)).format == name


def test_svg_is_named() -> None:
    svg = (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400"/>'
    )

    assert inspect_image(svg).format == "svg"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_truncated_image_is_refused(fmt) -> None:
    data = encoded(fmt)

    with pytest.raises(ImageError, match="truncated"):
        inspect_image(data[: len(data) // 2])


def test_a_png_with_a_corrupted_chunk_is_refused() -> None:
    data = bytearray(encoded("PNG"))
    data[len(data) // 2] ^= 0xFF

    with pytest.raises(ImageError, match="corrupt"):
        inspect_image(bytes(data))


@pytest.mark.parametrize("data", [b"", b"hello world", bytes(range(256)), b"\x89PNG\r\n\x1a\n"])
def test_bytes_that_are_no_image_are_refused(data) -> None:
    with pytest.raises(ImageError):
        inspect_image(data)


def test_a_decompression_bomb_header_is_read_without_decoding_anything() -> None:
    # Given a valid PNG whose header claims 50000x50000 pixels but holds almost no data
    header = struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + png_chunk(b"IEND", b"")
    )

    info = inspect_image(bomb)

    assert (info.width, info.height, info.size_bytes) == (50000, 50000, len(bomb))
