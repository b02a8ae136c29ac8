"""``kling-expand demo``: the whole product on one sample photo, offline.

Starts the offline mock server on loopback (its clock following real time, a
task taking a few seconds), then runs the ordinary command line against it:
``run`` on the shipped sample photo to a 16:9 canvas, saving the expanded
images and a before/after sheet, and printing their paths. Pointed at the real
service instead (``COMETAPI_KEY`` set, ``KLING_BASE_URL`` unset or real), the
same ``run`` command works unchanged; :func:`demo_arguments` shows it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ._exceptions import ConfigurationError
from ._sample import sample_photo_path

DEMO_KEY_ENV = "KLING_DEMO_MOCK_KEY"
DEMO_PROMPT = "continue the mountains, the lake and the evening sky"


def demo_arguments(out_dir: str | os.PathLike[str]) -> list[str]:
    """The ``run`` arguments the demo uses (the same work for the real service)."""
    return [
        "run",
        str(sample_photo_path()),
        "--aspect",
        "16:9",
        "--prompt",
        DEMO_PROMPT,
        "--out",
        os.fspath(out_dir),
        "--compare",
        "--poll-interval",
        "1",
        "--wait-timeout",
        "120",
    ]


def _mock_module() -> Any:
    try:
        module = importlib.import_module("kling_mock")
        module.MockKling, module.MockConfig, module.DEFAULT_DEV_KEY  # noqa: B018 - probe the API
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"the offline mock server is not available: {exc}") from exc
    return module


def run_demo(
    out_dir: str | os.PathLike[str],
    *,
    run_cli: Callable[..., int],
    stderr: TextIO,
    extra_arguments: Sequence[str] = (),
) -> int:
    """Start the mock, run the command line against it, stop the mock; return the exit status."""
    kling_mock = _mock_module()
    config = kling_mock.MockConfig(
        clock_frozen=False, submitted_seconds=1.0, processing_seconds=2.0
    )
    mock = kling_mock.MockKling(config)
    # Each demo starts a fresh mock: tasks an earlier run journaled do not exist there.
    (Path(out_dir) / "journal.jsonl").unlink(missing_ok=True)
    environ: Mapping[str, str] = {DEMO_KEY_ENV: kling_mock.DEFAULT_DEV_KEY}
    with mock.serve() as server:
        print(f"kling-expand demo: mock server on {server.base_url}", file=stderr)
        arguments = [
            "--base-url",
            server.base_url,
            "--api-key-env",
            DEMO_KEY_ENV,
            *extra_arguments,
            *demo_arguments(Path(out_dir)),
        ]
        return int(run_cli(arguments, environ=environ))
