"""Profile the mock while it is under load, with py-spy, and say where its time goes.

``--profile`` samples the mock's process during its cells at the targets'
concurrency and writes py-spy's collapsed stacks next to the results; the
summary is each function's inclusive share of the samples, so "what to fix"
reads straight off the run.

>>> stacks = "main (a.py:1);handle (a.py:5);check (v.py:9) 3\\nmain (a.py:1);send (io.py:2) 1"
>>> summarize_collapsed(stacks, top=2)
[('main (a.py)', 1.0), ('handle (a.py)', 0.75)]
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ._servers import TOOLS_DIR

PY_SPY = TOOLS_DIR / "py-spy" / "bin" / "py-spy"


class ProfilerMissing(RuntimeError):
    """py-spy is not installed where the harness looks for it."""


def find_py_spy() -> str:
    """py-spy from the bench's tools folder (``make bench`` installs it), else from PATH."""
    if PY_SPY.exists():
        return str(PY_SPY)
    found = shutil.which("py-spy")
    if found is None:
        raise ProfilerMissing(f"py-spy is not installed in {PY_SPY.parent}: `make bench` does it")
    return found


def _frame_key(frame: str) -> str:
    """``function (folder/file.py)`` for a py-spy frame ``function (/path/folder/file.py:12)``."""
    function, _, location = frame.partition(" (")
    path = location.rstrip(")").rsplit(":", 1)[0]
    short = "/".join(Path(path).parts[-2:]) if "kling_" in path else Path(path).name
    return f"{function} ({short})"


def summarize_collapsed(
    text: str, *, top: int = 20, keep: Callable[[str], bool] = lambda key: True
) -> list[tuple[str, float]]:
    """Each function's inclusive share of the samples (counted once per stack), largest first."""
    inclusive: Counter[str] = Counter()
    total = 0
    for frames, count in _samples(text):
        total += count
        for key in dict.fromkeys(_frame_key(frame) for frame in frames):
            if keep(key):
                inclusive[key] += count
    if total == 0:
        return []
    return [(key, round(n / total, 3)) for key, n in inclusive.most_common(top)]


# Where a sample's leaf is in these, the time is the HTTP server's and the kernel's
# (parsing, writing to the socket), whatever the application above it does.
SERVER_AND_IO = ("uvicorn/", "h11/", "httptools/", "asyncio/", "selectors.py", "socket.py")
SERVER_AND_IO_KEY = "HTTP server and socket I/O (uvicorn, h11, asyncio)"


def _samples(text: str) -> Iterator[tuple[list[str], int]]:
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if stack and count_text.isdigit():
            yield stack.split(";"), int(count_text)


def attribute_samples(text: str, *, top: int = 15) -> list[tuple[str, float]]:
    """Each sample charged to where a fix would go: the server and I/O when the leaf is
    there, else the deepest frame of this project's code, else the leaf's package.

    >>> stacks = "\\n".join([
    ...     "run (uvicorn/main.py:1);handle (kling_mock/_app.py:2);write (asyncio/t.py:3) 2",
    ...     "run (uvicorn/main.py:1);handle (kling_mock/_app.py:2);check (jsonschema/v.py:4) 1",
    ...     "run (uvicorn/main.py:1);route (starlette/routing.py:5) 1",
    ... ])
    >>> attribute_samples(stacks)
    [('HTTP server and socket I/O (uvicorn, h11, asyncio)', 0.5), \
('handle (kling_mock/_app.py)', 0.25), ('starlette (library)', 0.25)]
    """
    charged: Counter[str] = Counter()
    total = 0
    for frames, count in _samples(text):
        total += count
        leaf_path = frames[-1].partition(" (")[2]
        if any(marker in leaf_path for marker in SERVER_AND_IO):
            charged[SERVER_AND_IO_KEY] += count
            continue
        project = [frame for frame in frames if "kling_" in frame.partition(" (")[2]]
        if project:
            charged[_frame_key(project[-1])] += count
        else:
            charged[f"{leaf_path.split('/')[0].split(':')[0]} (library)"] += count
    if total == 0:
        return []
    return [(key, round(n / total, 3)) for key, n in charged.most_common(top)]


def project_frames(key: str) -> bool:
    """Whether a summarized frame is this project's code (where a fix would go)."""
    return "kling_" in key


@contextmanager
def profiling(pid: int, out_path: Path, *, duration_s: float, rate: int = 250) -> Iterator[None]:
    """Sample ``pid`` for ``duration_s`` seconds into ``out_path`` (collapsed stacks)."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        find_py_spy(),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(duration_s))),
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--nonblocking",
        "--output",
        str(out_path),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as recorder:
        try:
            yield
        except BaseException:
            recorder.kill()  # the run is failing or interrupted: no profile to wait for
            raise
        try:
            recorder.wait(timeout=duration_s + 30)
        except subprocess.TimeoutExpired:
            recorder.kill()
