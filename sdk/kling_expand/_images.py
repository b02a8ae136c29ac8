"""Images in and out: accept what users have, choose ratios, show the result.

* :func:`prepare_image` turns a path, bytes, a PIL image, an http(s) URL or
  base64 text into what the ``image`` field carries (the URL, or raw base64
  with no ``data:`` prefix) and, when the bytes are at hand, their
  :class:`~kling_spec.ImageInfo` so the spec's limits can be checked locally.
* :class:`Ratios` holds the four expansion ratios; :func:`ratios_for_aspect`
  picks the largest valid ones that give a target aspect ratio or canvas.
* :func:`canvas_geometry` is the project's one statement of how ratios become
  a canvas; :func:`compose_before_after` draws the original next to the result.

>>> r = ratios_for_aspect((1200, 900), "16:9")
>>> r.left == r.right and r.up == r.down
True
>>> w, h, _, _ = canvas_geometry(1200, 900, r)
>>> round(w / h, 2)
1.78
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal, TypeAlias

from PIL import Image, ImageDraw, ImageOps

from kling_spec import (
    ExpandConstraints,
    ImageError,
    ImageInfo,
    RequestInvalid,
    check_image,
    decode_image_field,
    expanded_canvas,
    inspect_image,
    is_image_url,
)

from ._exceptions import InputValidationError

ImageInput: TypeAlias = str | bytes | os.PathLike[str] | Image.Image
Anchor = Literal[
    "center",
    "top",
    "bottom",
    "left",
    "right",
    "top-left",
    "top-right",
    "bottom-left",
    "bottom-right",
]
_ANCHORS: Mapping[str, tuple[float, float]] = {
    # (share of the horizontal growth on the left, share of the vertical growth above)
    "center": (0.5, 0.5),
    "top": (0.5, 0.0),
    "bottom": (0.5, 1.0),
    "left": (0.0, 0.5),
    "right": (1.0, 0.5),
    "top-left": (0.0, 0.0),
    "top-right": (1.0, 0.0),
    "bottom-left": (0.0, 1.0),
    "bottom-right": (1.0, 1.0),
}
ANCHORS = tuple(_ANCHORS)

# Ratios are rounded down to this many decimals so a computed maximum never
# lands a hair over a limit through float rounding.
_RATIO_DECIMALS = 4


@dataclass(frozen=True)
class PreparedImage:
    """The ``image`` field's value, and what is known about the image before sending."""

    wire: str
    info: ImageInfo | None
    data: bytes | None

    @property
    def is_url(self) -> bool:
        return self.info is None


def _invalid(field: str, message: str) -> InputValidationError:
    return InputValidationError([(field, message)])


def _inspect(data: bytes, constraints: ExpandConstraints) -> ImageInfo:
    try:
        return inspect_image(data)
    except ImageError as exc:
        raise _invalid(constraints.image_field, str(exc)) from exc


def _from_bytes(data: bytes, constraints: ExpandConstraints) -> PreparedImage:
    return PreparedImage(base64.b64encode(data).decode("ascii"), _inspect(data, constraints), data)


def _from_pil(image: Image.Image, constraints: ExpandConstraints) -> bytes:
    fmt = (image.format or "").lower()
    fmt = fmt if fmt in constraints.image_formats else "png"
    buffer = io.BytesIO()
    to_save = image.convert("RGB") if fmt == "jpeg" and image.mode not in ("RGB", "L") else image
    to_save.save(buffer, format=fmt.upper())
    return buffer.getvalue()


def _from_path(path: Path, constraints: ExpandConstraints) -> bytes:
    """The file's bytes; only a regular file is read, and never past the spec's size limit."""
    field = constraints.image_field
    limit = constraints.image_max_bytes
    too_large = f"{path} is larger than the maximum (max_bytes) of {limit} bytes"
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise _invalid(field, f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
    except OSError as exc:  # pragma: no cover - fstat on a descriptor just opened
        os.close(fd)
        raise _invalid(field, f"cannot read {path}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _invalid(field, f"{path} is not a file: only regular files are read")
    if info.st_size > limit:
        os.close(fd)
        raise _invalid(field, f"{path} is {info.st_size} bytes; the maximum (max_bytes) is {limit}")
    with os.fdopen(fd, "rb", buffering=0) as file:
        chunks: list[bytes] = []
        remaining = limit + 1
        try:
            while remaining > 0 and (chunk := file.read(remaining)):
                chunks.append(chunk)
                remaining -= len(chunk)
        except OSError as exc:
            raise _invalid(field, f"cannot read {path}: {exc.strerror or exc}") from exc
    if remaining <= 0:
        raise _invalid(field, too_large)
    return b"".join(chunks)


def prepare_image(image: ImageInput, constraints: ExpandConstraints | None = None) -> PreparedImage:
    """What to send for ``image``; the image's own limits are checked where its bytes are known.

    Text is a URL when it starts with ``http://`` or ``https://`` (in any case;
    the scheme is sent in lower case), a file when such a file exists, otherwise
    base64 (a ``data:`` prefix and any white space, such as line breaks, are
    dropped, since the service refuses them). Text that reads as a file name but
    names no file is refused as such.

    >>> prepare_image("https://example.com/photo.jpg").wire
    'https://example.com/photo.jpg'
    """
    constraints = constraints or ExpandConstraints.from_spec()
    field = constraints.image_field
    if isinstance(image, Image.Image):
        prepared = _from_bytes(_from_pil(image, constraints), constraints)
    elif isinstance(image, bytes | bytearray | memoryview):
        prepared = _from_bytes(bytes(image), constraints)
    elif isinstance(image, os.PathLike):
        prepared = _from_bytes(_from_path(Path(image), constraints), constraints)
    elif isinstance(image, str):
        prepared = _from_text(image.strip(), constraints)
    else:
        raise TypeError(f"{field} must be a path, bytes, a PIL image, a URL or base64 text")
    if prepared.info is not None:
        problems = check_image(prepared.info, constraints)
        if problems:
            raise InputValidationError([(p.field, p.message) for p in problems])
    return prepared


# Text this long is never taken for a file name.
_MAX_PATH_TEXT = 4096


def url_of(text: str) -> str | None:
    """``text`` as the http(s) URL it is, its scheme in lower case (``HTTPS://`` is one
    too: schemes are case-insensitive, and the service expects them lower), else None.

    >>> url_of("HTTPS://example.com/A.jpg"), url_of("photo.jpg")
    ('https://example.com/A.jpg', None)
    """
    scheme, separator, rest = text.partition("://")
    candidate = f"{scheme.lower()}{separator}{rest}"
    return candidate if separator and is_image_url(candidate) else None


def file_of(text: str) -> Path | None:
    """The existing file ``text`` names, or None (URLs, base64 and data: URIs name none)."""
    if len(text) >= _MAX_PATH_TEXT or text[:5].lower() == "data:":
        return None
    try:
        candidate = Path(text)
        # Anything that exists but a folder is read as a file; reading refuses all but
        # regular files (a FIFO, a device) by name.
        return candidate if candidate.exists() and not candidate.is_dir() else None
    except OSError:  # a name the system cannot even look up (too long, say)
        return None


def _missing_file(text: str) -> str | None:
    """Why ``text``, which is no URL, no file and no image in base64, reads as a file
    name; else None.

    It does when it names something that is not a file, has a ``.`` or ``\\`` (base64
    has neither), or sits in a folder that exists.
    """
    if len(text) >= _MAX_PATH_TEXT or "\n" in text or text[:5].lower() == "data:":
        return None
    try:
        path = Path(text)
        if path.exists():
            return f"{text} is not a file"
        if "." in text or "\\" in text or (path.parent != Path() and path.parent.is_dir()):
            return f"the file {text} does not exist"
    except OSError:
        return None
    return None


def _from_text(text: str, constraints: ExpandConstraints) -> PreparedImage:
    field = constraints.image_field
    url = url_of(text)
    if url is not None:
        return PreparedImage(url, None, None)
    path = file_of(text)
    if path is not None:
        return _from_bytes(_from_path(path, constraints), constraints)
    try:
        return _from_base64(text, constraints)
    except InputValidationError as exc:
        # Not an image in base64: if it reads as a file name, that is what went wrong.
        missing = _missing_file(text)
        if missing is None:
            raise
        raise _invalid(field, missing) from exc


def _from_base64(text: str, constraints: ExpandConstraints) -> PreparedImage:
    field = constraints.image_field
    if text[:5].lower() == "data:":
        _, comma, rest = text.partition(",")
        if not comma:
            raise _invalid(field, "a data: URI without a comma carries no data")
        text = rest
    # Base64 wrapped over lines (as `base64` and most encoders print it) is the same
    # base64 without the white space, which is what the service takes.
    text = "".join(text.split())
    try:
        data = decode_image_field(text, constraints)
    except RequestInvalid as exc:
        raise InputValidationError([(v.field, v.message) for v in exc.violations]) from exc
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - decode_image_field wraps these
        raise _invalid(field, str(exc)) from exc
    if data is None:  # pragma: no cover - URLs were handled above
        return PreparedImage(text, None, None)
    return PreparedImage(text, _inspect(data, constraints), data)


@dataclass(frozen=True)
class Ratios:
    """The four expansion ratios: multiples of the original height (up, down) and width."""

    up: float = 0.0
    down: float = 0.0
    left: float = 0.0
    right: float = 0.0

    @classmethod
    def all(cls, ratio: float) -> Ratios:
        return cls(ratio, ratio, ratio, ratio)

    def as_fields(self, constraints: ExpandConstraints | None = None) -> dict[str, float]:
        """The ratios keyed by the request's field names, as the spec names them."""
        c = constraints or ExpandConstraints.from_spec()
        (up, down), (left, right) = c.vertical_fields, c.horizontal_fields
        return {up: self.up, down: self.down, left: self.left, right: self.right}


def canvas_geometry(
    width: int, height: int, ratios: Ratios, constraints: ExpandConstraints | None = None
) -> tuple[int, int, int, int]:
    """``(canvas_width, canvas_height, x, y)``: the expanded canvas and the original's offset.

    The project's one convention, :func:`kling_spec.expanded_canvas` (the mock
    renders with it too): ``round(w * (1 + left + right))`` x
    ``round(h * (1 + up + down))``, the original at ``(round(w * left), round(h * up))``.

    >>> canvas_geometry(400, 300, Ratios(up=0.5, left=0.25, right=0.25))
    (600, 450, 100, 150)
    """
    c = constraints or ExpandConstraints.from_spec()
    canvas = expanded_canvas(width, height, ratios.as_fields(c), c)
    return canvas.width, canvas.height, canvas.left, canvas.top


def _parse_target(target: str | tuple[int, int] | Fraction) -> Fraction:
    """The aspect asked for as an exact, positive fraction; anything else is refused.

    >>> _parse_target("16:9"), _parse_target((4, 3))
    (Fraction(16, 9), Fraction(4, 3))
    >>> _parse_target("16:0")
    Traceback (most recent call last):
    ...
    kling_expand._exceptions.InputValidationError: aspect must be W:H with W and H above 0 (for example 16:9), got '16:0'
    """  # noqa: E501 - a doctest's expected output is one line
    try:
        value = _as_fraction(target)
    except (ArithmeticError, TypeError, ValueError, IndexError):
        value = None
    if value is None or value <= 0:
        raise _invalid(
            "aspect", f"aspect must be W:H with W and H above 0 (for example 16:9), got {target!r}"
        )
    return value


def _as_fraction(target: str | tuple[int, int] | Fraction) -> Fraction | None:
    if isinstance(target, Fraction):
        return target
    if isinstance(target, tuple):
        width, height = target
        return Fraction(width, height)
    for separator in (":", "x", "/"):
        if separator in target:
            left, _, right = target.partition(separator)
            return Fraction(left.strip()) / Fraction(right.strip())
    return None


def _anchor_shares(anchor: str) -> tuple[float, float]:
    """(share of the horizontal growth on the left, share of the vertical growth above)."""
    if anchor not in _ANCHORS:
        raise _invalid("anchor", f"anchor must be one of {', '.join(_ANCHORS)}, got {anchor!r}")
    return _ANCHORS[anchor]


def _floor(value: float) -> float:
    scale: int = 10**_RATIO_DECIMALS
    return math.floor(value * scale + 1e-9) / scale


def _size_of(
    image: ImageInput | tuple[int, int], constraints: ExpandConstraints
) -> tuple[int, int]:
    if isinstance(image, tuple):
        return image
    if isinstance(image, Image.Image):
        return image.size
    prepared = prepare_image(image, constraints)
    if prepared.info is None:
        raise ValueError("ratios_for_aspect needs the image's size: pass the image, not its URL")
    return prepared.info.width, prepared.info.height


def ratios_for_aspect(
    image: ImageInput | tuple[int, int],
    aspect: str | tuple[int, int] | Fraction,
    *,
    anchor: Anchor = "center",
    fill: Literal["max", "min"] = "max",
    constraints: ExpandConstraints | None = None,
) -> Ratios:
    """The ratios that turn ``image`` into a canvas of the ``aspect`` asked for.

    ``image`` is anything :func:`prepare_image` takes, or a ``(width, height)``
    pair. ``aspect`` is ``"16:9"``-style text or a ratio. With ``fill="max"``
    (the default) the canvas is the largest the spec's limits allow (per-side
    ratio bounds and the area limit); ``fill="min"`` grows just one dimension,
    as little as needed. ``anchor`` says where the original sits. Raises
    :class:`InputValidationError` when no valid expansion reaches the aspect.

    >>> ratios_for_aspect((1000, 1000), "2:1", fill="min")
    Ratios(up=0.0, down=0.0, left=0.5, right=0.5)
    """
    c = constraints or ExpandConstraints.from_spec()
    share_x, share_y = _anchor_shares(anchor)
    target = _parse_target(aspect)
    width, height = _size_of(image, c)
    unreachable = _invalid(
        "aspect",
        f"aspect {_aspect_text(aspect, target)} cannot be reached from "
        f"{width}x{height} px with anchor {anchor} within the ratio bounds and "
        f"max_area_factor {c.max_area_factor:g}",
    )
    # Canvas = (fx * w, fy * h) with fx * w / (fy * h) = target, so fx = k * fy.
    try:
        k = float(target * height / width)
    except OverflowError:  # an aspect past float range is past every bound too
        raise unreachable from None
    if not 0 < k < math.inf:  # ... and so is one too close to 0 to be a float
        raise unreachable
    (up_f, down_f), (left_f, right_f) = c.vertical_fields, c.horizontal_fields
    fy_low = max(1.0, 1 / k)
    fy_caps = [
        _growth_cap(c.ratio_bounds[up_f].maximum, c.ratio_bounds[down_f].maximum, share_y),
        _growth_cap(c.ratio_bounds[left_f].maximum, c.ratio_bounds[right_f].maximum, share_x) / k,
        math.sqrt(c.max_area_factor / k),
    ]
    fy_high = min(fy_caps)
    if fy_high + 1e-9 < fy_low:
        raise unreachable
    fy = fy_low if fill == "min" else max(fy_low, fy_high)
    fx = k * fy
    grow_x, grow_y = max(0.0, fx - 1), max(0.0, fy - 1)
    ratios = Ratios(
        up=_floor(grow_y * share_y),
        down=_floor(grow_y * (1 - share_y)),
        left=_floor(grow_x * share_x),
        right=_floor(grow_x * (1 - share_x)),
    )
    if not c.area_ok(ratios.as_fields(c)):  # pragma: no cover - flooring keeps it inside
        raise _invalid("expansion", "computed ratios exceed max_area_factor")
    return ratios


def _aspect_text(aspect: str | tuple[int, int] | Fraction, target: Fraction) -> str:
    """The aspect as the caller wrote it when that was text, else as W:H."""
    if isinstance(aspect, str):
        return aspect.strip()
    return f"{target.numerator}:{target.denominator}"


def _growth_cap(max_first: float, max_second: float, share_first: float) -> float:
    """The largest growth factor along one axis when ``share_first`` of it goes to one side."""
    caps = []
    if share_first > 0:
        caps.append(max_first / share_first)
    if share_first < 1:
        caps.append(max_second / (1 - share_first))
    return 1 + min(caps)


def ratios_for_canvas(
    image: ImageInput | tuple[int, int],
    canvas: tuple[int, int],
    *,
    anchor: Anchor = "center",
    constraints: ExpandConstraints | None = None,
) -> Ratios:
    """The ratios that grow ``image`` to exactly ``canvas`` pixels (within rounding).

    >>> ratios_for_canvas((800, 600), (1600, 600), anchor="left")
    Ratios(up=0.0, down=0.0, left=0.0, right=1.0)
    """
    c = constraints or ExpandConstraints.from_spec()
    width, height = _size_of(image, c)
    if canvas[0] < width or canvas[1] < height:
        raise _invalid(
            "canvas", f"canvas {canvas[0]}x{canvas[1]} is smaller than the image {width}x{height}"
        )
    share_x, share_y = _anchor_shares(anchor)
    grow_x, grow_y = canvas[0] / width - 1, canvas[1] / height - 1
    ratios = Ratios(
        up=grow_y * share_y,
        down=grow_y * (1 - share_y),
        left=grow_x * share_x,
        right=grow_x * (1 - share_x),
    )
    from ._checks import check_ratios  # local import: _checks builds on this module

    check_ratios(ratios, c)
    return ratios


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
    if isinstance(image, Image.Image):
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
