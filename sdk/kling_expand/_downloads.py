"""Result images: fetched with a size bound, checked, and written atomically.

Downloads are plans too (see ``_core.py``): the same checks and retries for the
blocking and the async client. A file appears under its final name only once
it is complete, so a reader or a resumed batch never sees half an image.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from ._core import Fetch, Fetched, Plan, Settings, error_of, retrying
from ._exceptions import DownloadError, KlingError
from ._models import ResultImage, SavedImage, Task

IMAGE_SUFFIXES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
}


def _checked_download(settings: Settings, url: str, max_bytes: int) -> Plan[Fetched]:
    fetched: Fetched = yield Fetch(url, max_bytes, settings.call_timeout)
    if fetched.status_code >= 400:
        error = error_of(fetched, settings)
        if error.retryable:
            raise error
        raise DownloadError(
            f"downloading {url} failed with HTTP {fetched.status_code}",
            url=url,
            status_code=fetched.status_code,
        )
    return fetched


def download_image(
    settings: Settings, image: ResultImage, *, watermarked: bool = False
) -> Plan[tuple[bytes, str]]:
    """Fetch one result image; check it is an image of the type announced and not too big.

    Every way this fails is a :class:`DownloadError`: an HTTP error, also one still
    passing when the retries ran out (a host that keeps answering 5xx), and no
    answer at all; the error met last is its ``__cause__``.
    """
    url = image.watermark_url if watermarked and image.watermark_url else image.url
    max_bytes = settings.download_max_bytes
    try:
        fetched = yield from retrying(
            settings, lambda: _checked_download(settings, url, max_bytes), f"download {url}"
        )
    except DownloadError:
        raise
    except KlingError as error:
        raise DownloadError(
            f"downloading {url} failed: {error}", url=url, status_code=error.status_code
        ) from error
    content_type = fetched.content_type.split(";")[0].strip().lower()
    if fetched.too_large:
        raise DownloadError(f"{url} is larger than {max_bytes} bytes", url=url)
    if content_type not in IMAGE_SUFFIXES:
        raise DownloadError(f"{url} is {content_type or 'untyped'}, not an image", url=url)
    detected = sniff_image_type(fetched.content)
    if detected is None or IMAGE_SUFFIXES[detected] != IMAGE_SUFFIXES[content_type]:
        raise DownloadError(
            f"{url} says {content_type} but its bytes are {detected or 'not an image'}", url=url
        )
    return fetched.content, content_type


def sniff_image_type(data: bytes) -> str | None:
    """The image media type the leading bytes announce, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _current_umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def write_atomically(directory: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``directory/name`` via a temporary file and a rename.

    A reader (or a resumed batch) sees either no file or the whole file, never a
    half-written one.
    """
    if name in ("", ".", "..") or Path(name).name != name:
        raise ValueError(f"{name!r} is not a plain file name")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    handle, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    try:
        # mkstemp makes the file private (0600); give it the mode any new file would get.
        os.fchmod(handle, 0o666 & ~_UMASK)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


# What of a server-given task id may reach a file name: Kling's ids are digits.
_UNSAFE_IN_NAMES = re.compile(r"[^A-Za-z0-9_-]")


def _file_stem(task: Task, image: ResultImage) -> str:
    """``<task id>_<index>``, with anything but letters, digits, ``_`` and ``-`` in the
    server's task id replaced: an id such as ``../../x`` must not leave the folder."""
    return f"{_UNSAFE_IN_NAMES.sub('_', task.id)}_{int(image.index)}"


def image_file_name(task: Task, image: ResultImage, content_type: str) -> str:
    return f"{_file_stem(task, image)}{IMAGE_SUFFIXES[content_type]}"


def save_images(
    settings: Settings,
    task: Task,
    directory: Path,
    *,
    watermarked: bool = False,
    on_saved: Callable[[SavedImage], object] | None = None,
    skip_existing: bool = False,
) -> Plan[list[SavedImage]]:
    """Download every image of ``task`` into ``directory``; return what was written."""
    saved: list[SavedImage] = []
    for image in task.images:
        existing = _existing_file(directory, task, image) if skip_existing else None
        if existing is not None:
            saved.append(existing)
            continue
        data, content_type = yield from download_image(settings, image, watermarked=watermarked)
        path = write_atomically(directory, image_file_name(task, image, content_type), data)
        item = SavedImage(image.index, path, content_type, len(data))
        saved.append(item)
        if on_saved is not None:
            on_saved(item)
    return saved


def _existing_file(directory: Path, task: Task, image: ResultImage) -> SavedImage | None:
    for suffix in dict.fromkeys(IMAGE_SUFFIXES.values()):
        path = directory / f"{_file_stem(task, image)}{suffix}"
        if path.is_file():
            return saved_file(path)
    return None


def saved_file(path: Path) -> SavedImage:
    """A :class:`SavedImage` for a file this module wrote earlier (``{task}_{index}.{ext}``)."""
    types = {suffix: content_type for content_type, suffix in reversed(IMAGE_SUFFIXES.items())}
    _, _, index = path.stem.rpartition("_")
    return SavedImage(
        int(index) if index.isdigit() else 0,
        path,
        types.get(path.suffix, "application/octet-stream"),
        path.stat().st_size,
    )
