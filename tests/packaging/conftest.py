"""The distribution as a user gets it: built once, installed into fresh venvs outside the checkout.

uv builds and installs from its cache when it can (``--offline``) and falls back to
the registry only when a package is not cached yet. Versions are held to
requirements.lock, so the venvs get what the checkout is tested with.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
DOWNSTREAM = Path(__file__).resolve().parent / "downstream"


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed (make setup installs it into .venv)")
    return found


def uv(*args: str, cwd: Path | None = None) -> None:
    """Run uv, from its cache first and from the registry only for what is not cached."""
    command = [_uv(), *args, "--quiet"]
    offline = subprocess.run([*command, "--offline"], cwd=cwd, capture_output=True, text=True)
    if offline.returncode != 0:
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)


@dataclass(frozen=True)
class Venv:
    """A fresh virtualenv outside the checkout."""

    path: Path
    packages: frozenset[str]

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def run(
        self, *args: str | Path, cwd: Path, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run a command of this venv with a clean environment (no checkout on any path)."""
        env = {"PATH": f"{self.bin}{os.pathsep}/usr/bin:/bin", "HOME": str(cwd)}
        return subprocess.run(
            [str(a) for a in args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def lock_pins(*names: str) -> list[str]:
    """``name==version`` for each name, as requirements.lock pins it."""
    pins = dict(line.split("==", 1) for line in LOCK.read_text().splitlines() if "==" in line)
    return [f"{name}=={pins[name].split()[0]}" for name in names]


def make_venv(root: Path, name: str, requirement: str, *extra: str) -> Venv:
    path = root / name
    uv("venv", "--python", sys.executable, str(path))
    python = str(path / "bin" / "python")
    uv("pip", "install", "--python", python, "--constraint", str(LOCK), requirement)
    listed = subprocess.run(
        [_uv(), "pip", "list", "--python", python, "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    packages = frozenset(p["name"].lower() for p in json.loads(listed.stdout))
    if extra:
        uv("pip", "install", "--python", python, "--constraint", str(LOCK), *extra)
    return Venv(path, packages)


@pytest.fixture(scope="session")
def packaging_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("packaging")
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def wheel(packaging_root: Path) -> Path:
    out = packaging_root / "dist"
    uv("build", "--wheel", "--out-dir", str(out), str(ROOT))
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="session")
def sdk_venv(packaging_root: Path, wheel: Path) -> Venv:
    """The SDK alone; its package list is taken before pytest is added for one test."""
    return make_venv(packaging_root, "sdk", str(wheel), *lock_pins("pytest"))


@pytest.fixture(scope="session")
def mock_venv(packaging_root: Path, wheel: Path) -> Venv:
    """The SDK with the ``mock`` extra, plus pytest and mypy for the downstream checks."""
    return make_venv(packaging_root, "mock", f"{wheel}[mock]", *lock_pins("pytest", "mypy"))


@pytest.fixture
def downstream(tmp_path: Path) -> Path:
    """A downstream project folder holding copies of the downstream files."""
    project = tmp_path / "downstream"
    shutil.copytree(DOWNSTREAM, project, ignore=shutil.ignore_patterns("__pycache__"))
    return project
