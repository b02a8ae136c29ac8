"""Images in: accept what users have and turn it into what the ``image`` field carries.

:func:`prepare_image` turns a path, bytes, a PIL image, an http(s) URL or base64
text into what the ``image`` field carries (the URL, or raw base64 with no
``data:`` prefix) and, when the bytes are at hand, their
:class:`~kling_spec.ImageInfo` so the spec's limits can be checked locally.
Ratios are chosen in ``_ratios.py``; the before/after sheet is drawn in ``_sheet.py``.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from kling_spec import (
    ExpandConstraints,
    ImageError,
    ImageInfo,
    RequestInvalid,
    check_image,
    decode_image_field,
    inspect_image,
    is_image_url,
)

from ._exceptions import InputValidationError

if TYPE_CHECKING:
    from PIL import Image
    from typing_extensions import TypeIs

# Pillow is imported where pixels are handled, not with the SDK: most calls never
# need it (a URL, a file's bytes, a task), and it is a large share of the import.
ImageInput: TypeAlias = "str | bytes | os.PathLike[str] | Image.Image"


def is_pil_image(value: object) -> TypeIs[Image.Image]:
    """Whether ``value`` is a PIL image, without importing Pillow (none exists before it is)."""
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(value, module.Image)


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
    if is_pil_image(image):
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
