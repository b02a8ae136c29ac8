"""Result images: the original placed on the expanded canvas, the border a blurred reflection.

Rendering happens on the first download of each result and the PNG is kept in a
byte-bounded cache, so creating and polling tasks never pays for it.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter, PngImagePlugin

from kling_spec import Canvas

from ._store import SourceImage

# The border is built at this many pixels on the longer side, then scaled up: the
# scaling is itself a smooth blur, and the cost no longer grows with the upload.
_FILL_SIDE = 160
# zlib level for result PNGs: far smaller than level 1 on the smooth border, at a
# fraction of the default level's time on the largest canvases.
_COMPRESS_LEVEL = 3


def release_memory() -> None:
    """Hand freed heap back to the system after a render (glibc keeps it otherwise,
    in every thread's arena); nothing happens where ``malloc_trim`` is missing."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _load_libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _load_libc()


def decode_source(source: SourceImage) -> None:
    """Decode every pixel of an uploaded source once, so a truncated or corrupt image is
    refused when it is sent rather than when its result is downloaded. Nothing is kept:
    the pixels are converted and expanded only when a result is rendered."""
    if source.data is not None:
        with Image.open(io.BytesIO(source.data)) as opened:
            opened.load()


def source_pixels(source: SourceImage) -> Image.Image:
    """The task's source as RGB (or RGBA when it has transparency), pixels as uploaded."""
    if source.data is None:
        return synthetic_image(source.synthetic_seed, source.width, source.height)
    with Image.open(io.BytesIO(source.data)) as opened:
        opened.load()
        keeps_alpha = opened.mode in ("RGBA", "LA", "PA") or "transparency" in opened.info
        return opened.convert("RGBA" if keeps_alpha else "RGB")


def synthetic_image(seed: str, width: int, height: int) -> Image.Image:
    """A deterministic picture for an image URL the mock does not fetch: sky, hills, a sun."""
    digest = hashlib.sha256(seed.encode()).digest()
    top = (digest[0] // 2, digest[1] // 2 + 60, 200 + digest[2] % 56)
    bottom = (230, 200 + digest[3] % 56, 150 + digest[4] % 80)
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), gradient
    )
    draw = ImageDraw.Draw(image)
    sun_x, sun_y = width * (20 + digest[5] % 60) // 100, height * (10 + digest[6] % 30) // 100
    radius = max(4, min(width, height) // 10)
    draw.ellipse(
        (sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius), fill=(250, 220, 90)
    )
    hill = (40 + digest[7] % 40, 110 + digest[8] % 60, 50 + digest[9] % 40)
    draw.polygon(
        [
            (0, height),
            (0, height * 2 // 3),
            (width // 3, height // 2),
            (width * 2 // 3, height * 3 // 4),
            (width, height * 3 // 5),
            (width, height),
        ],
        fill=hill,
    )
    return image


def _mirror_tile(image: Image.Image) -> Image.Image:
    width, height = image.size
    tile = Image.new(image.mode, (2 * width, 2 * height))
    mirrored = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    tile.paste(image, (0, 0))
    tile.paste(mirrored, (width, 0))
    tile.paste(image.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, height))
    tile.paste(mirrored.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (width, height))
    return tile


def expand_image(original: Image.Image, canvas: Canvas, variant: int) -> Image.Image:
    """The original on ``canvas``, the new border a blurred mirror of it; ``variant``
    (the result's index) shifts the blur and the light so the ``n`` results differ.

    Everything but the result is built at the small fill size (the light included),
    so the only full-canvas bitmap a render allocates is the result itself."""
    width, height = original.size
    scale = min(1.0, _FILL_SIDE / max(canvas.width, canvas.height))
    small_w, small_h = max(1, round(width * scale)), max(1, round(height * scale))
    small = original.resize((small_w, small_h), Image.Resampling.BILINEAR)
    tile = _mirror_tile(small)
    fill_w, fill_h = max(1, round(canvas.width * scale)), max(1, round(canvas.height * scale))
    fill = Image.new(original.mode, (fill_w, fill_h))
    start_x = round(canvas.left * scale) % tile.width - tile.width
    start_y = round(canvas.top * scale) % tile.height - tile.height
    for y in range(start_y, fill_h, tile.height):
        for x in range(start_x, fill_w, tile.width):
            fill.paste(tile, (x, y))
    fill = fill.filter(ImageFilter.GaussianBlur(1.5 + variant))
    if variant:
        shade = Image.new(fill.mode, fill.size, (255, 255, 255, 255)[: len(fill.mode)])
        fill = Image.blend(fill, shade, min(0.6, 0.07 * variant))
    result = fill.resize((canvas.width, canvas.height), Image.Resampling.BILINEAR)
    result.paste(original, (canvas.left, canvas.top))
    return result


def watermark_in_place(image: Image.Image) -> None:
    """Mark ``image`` visibly, in place: translucent diagonal bands with the word MOCK.

    Each layer is drawn into one greyscale mask (its opacity) and its colour pasted
    through it, so no full-size RGBA copy of the canvas is ever made."""
    width, height = image.size
    channels = len(image.mode)
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    step = max(40, min(image.size) // 6)
    for offset in range(-height, width, step):
        draw.line([(offset, height), (offset + height, 0)], fill=110, width=max(4, step // 5))
    image.paste((255, 255, 255, 255)[:channels], (0, 0, width, height), mask)
    mask.paste(0, (0, 0, width, height))
    for y in range(step // 2, height, step):
        for x in range(step // 4, width, step * 2):
            draw.text((x, y), "MOCK", fill=200)
    image.paste((200, 0, 0, 255)[:channels], (0, 0, width, height), mask)


def encode_png(image: Image.Image, label: str) -> bytes:
    """PNG bytes (lossless, so the original's pixels survive), tagged with ``label``."""
    info = PngImagePlugin.PngInfo()
    info.add_text("kling-mock", label)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, compress_level=_COMPRESS_LEVEL)
    return out.getvalue()


class RenderCache:
    """Rendered PNGs by key, least recently used dropped first past ``max_bytes``.

    One render per key at a time: concurrent first downloads wait for the same result.
    """

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get_or_render(self, key: str, render: Callable[[], bytes]) -> bytes:
        with self._lock:
            cached = self._lookup(key)
            if cached is not None:
                return cached
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                cached = self._lookup(key)
            if cached is not None:
                return cached
            try:
                data = render()
                with self._lock:
                    self._store(key, data)
            finally:
                with self._lock:
                    self._key_locks.pop(key, None)
            return data

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def _lookup(self, key: str) -> bytes | None:
        data = self._items.get(key)
        if data is not None:
            self._items.move_to_end(key)
        return data

    def _store(self, key: str, data: bytes) -> None:
        if len(data) > self._max_bytes:
            return
        self._items[key] = data
        self._bytes += len(data)
        while self._bytes > self._max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= len(dropped)
