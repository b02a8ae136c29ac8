"""The sample photo that ships with the package, and how it was made.

``sample_photo_path()`` is the JPEG the demo expands: a lake landscape rendered
procedurally with Pillow (sky gradient, sun, layered ridges, a reflecting lake,
film grain), so the project owns every pixel. ``render_sample_photo()``
renders it again, byte for byte the same for the same size and seed.

>>> from kling_spec import ExpandConstraints, check_image, inspect_image
>>> info = inspect_image(sample_photo_path().read_bytes())
>>> check_image(info, ExpandConstraints.from_spec())
[]
"""

from __future__ import annotations

import io
import math
import random
from importlib.resources import as_file, files
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

SAMPLE_NAME = "sample.jpg"


def sample_photo_path() -> Path:
    """Where the shipped sample photo is on disk."""
    resource = files("kling_expand").joinpath("_assets", SAMPLE_NAME)
    with as_file(resource) as path:
        return Path(path)


def _ridge(rng: random.Random, width: int, base: float, roughness: float) -> list[float]:
    """A mountain skyline: a sum of sines with random phases, plus small noise."""
    waves = [
        (rng.uniform(0.5, 4.0), rng.uniform(0, 2 * math.pi), rng.uniform(0.3, 1.0))
        for _ in range(6)
    ]
    heights = []
    for x in range(width):
        t = x / width
        value = sum(a * math.sin(2 * math.pi * f * t + p) for f, p, a in waves)
        heights.append(base - roughness * value - rng.uniform(0, roughness * 0.15))
    return heights


def render_sample_photo(width: int = 1024, height: int = 768, seed: int = 7) -> bytes:
    """Render the sample landscape as JPEG bytes."""
    rng = random.Random(seed)
    horizon = int(height * 0.62)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(horizon):  # sky: deep blue to warm haze at the horizon
        t = y / horizon
        draw.line(
            [(0, y), (width, y)],
            fill=(int(40 + 200 * t), int(90 + 120 * t), int(170 + 40 * t)),
        )
    sun_x, sun_y, sun_r = int(width * 0.7), int(horizon * 0.3), int(height * 0.06)
    glow = Image.new("L", (width, height), 0)
    ImageDraw.Draw(glow).ellipse(
        [sun_x - 3 * sun_r, sun_y - 3 * sun_r, sun_x + 3 * sun_r, sun_y + 3 * sun_r], fill=120
    )
    glow = glow.filter(ImageFilter.GaussianBlur(sun_r))
    image = Image.composite(Image.new("RGB", image.size, (255, 230, 170)), image, glow)
    draw = ImageDraw.Draw(image)
    draw.ellipse([sun_x - sun_r, sun_y - sun_r, sun_x + sun_r, sun_y + sun_r], fill=(255, 244, 214))
    layers = [
        (horizon * 0.7, height * 0.08, (112, 128, 160)),
        (horizon * 0.82, height * 0.06, (74, 96, 120)),
        (horizon * 0.93, height * 0.05, (42, 66, 60)),
    ]
    for base, roughness, colour in layers:  # ridges, far (hazy) to near (dark)
        skyline = _ridge(rng, width, base, roughness)
        draw.polygon([(0, horizon), *enumerate(skyline), (width - 1, horizon)], fill=colour)
    land = image.crop((0, 0, width, horizon))
    reflection = land.transpose(Image.Transpose.FLIP_TOP_BOTTOM).crop(
        (0, 0, width, height - horizon)
    )
    water = Image.new("RGB", reflection.size, (30, 70, 100))
    lake = Image.blend(reflection, water, 0.45).filter(ImageFilter.GaussianBlur(2))
    ripples = ImageDraw.Draw(lake)
    for _ in range(220):  # light ripples on the water
        y = rng.randrange(lake.height)
        x = rng.randrange(width)
        length = rng.randrange(10, 60)
        ripples.line([(x, y), (x + length, y)], fill=(150, 180, 200), width=1)
    image.paste(lake, (0, horizon))
    grain = Image.frombytes("L", (width, height), rng.randbytes(width * height)).point(
        lambda v: 118 + v // 16
    )
    image = ImageChops.overlay(image, Image.merge("RGB", (grain, grain, grain)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88, optimize=True)
    return buffer.getvalue()
