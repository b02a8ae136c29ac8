"""What a user pays before the first request: install size and import cost.

Install figures come from the wheel built off this checkout and installed into a
fresh venv outside it (the SDK alone, as a user adds it to a project): the size of
its site-packages in MiB and the number of installed distributions. Import figures
are a fresh interpreter per sample, so nothing is cached in ``sys.modules``:
seconds to import and modules loaded for ``kling_expand`` and ``kling_mock``, each
against ``import httpx`` measured in the same run on the same interpreter, as
ratios. The install venvs' interpreter is used when they are built; with
``install=False`` (the fast path) the current one is.

>>> figures = measure_imports(("fractions",), python=None, samples=1)
>>> figures[0].module, figures[0].modules_loaded > 0
('fractions', True)
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BASELINE = "httpx"
SUBJECTS = ("kling_expand", "kling_mock")
# The figure issue #12 names: `import kling_expand` at most this many times `import httpx`.
TARGET_IMPORT_RATIO = 1.5
_MIB = 1024 * 1024
# Prints the seconds one import takes and the modules it loads (beyond the bare interpreter).
_PROBE = (
    "import json, sys, time\n"
    "before = len(sys.modules)\n"
    "start = time.perf_counter()\n"
    "import {module}\n"
    "elapsed = time.perf_counter() - start\n"
    "print(json.dumps([elapsed, len(sys.modules) - before, len(sys.modules)]))\n"
)


@dataclass(frozen=True)
class ImportFigure:
    """One module's import: median seconds over fresh interpreters, and modules loaded."""

    module: str
    seconds: float
    modules_loaded: int
    modules_total: int


@dataclass(frozen=True)
class InstallFigure:
    """An install in a fresh venv: site-packages size and installed distributions."""

    what: str
    size_mib: float
    packages: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class Footprint:
    install: InstallFigure | None
    imports: tuple[ImportFigure, ...]
    interpreter: str

    def ratios(self) -> dict[str, dict[str, float]]:
        """Each subject against the baseline import: time and modules loaded."""
        base = next(f for f in self.imports if f.module == BASELINE)
        return {
            f.module: {
                "seconds": round(f.seconds / base.seconds, 2),
                "modules": round(f.modules_loaded / base.modules_loaded, 2),
            }
            for f in self.imports
            if f.module != BASELINE
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "interpreter": self.interpreter,
            "install": None if self.install is None else asdict(self.install),
            "imports": [asdict(f) for f in self.imports],
            "over_httpx": self.ratios(),
            "target_import_ratio": TARGET_IMPORT_RATIO,
        }


def measure_imports(
    modules: Sequence[str], *, python: Path | None, samples: int
) -> tuple[ImportFigure, ...]:
    """Import each module in ``samples`` fresh interpreters, alternating the modules."""
    runs: dict[str, list[list[float]]] = {m: [] for m in modules}
    for _ in range(samples):
        for module in modules:
            probe = _PROBE.format(module=module)
            result = subprocess.run(
                [str(python or sys.executable), "-c", probe],
                cwd=tempfile.gettempdir(),
                capture_output=True,
                text=True,
                check=True,
            )
            runs[module].append(json.loads(result.stdout))
    return tuple(
        ImportFigure(
            module,
            seconds=round(statistics.median(r[0] for r in runs[module]), 4),
            modules_loaded=int(statistics.median(r[1] for r in runs[module])),
            modules_total=int(statistics.median(r[2] for r in runs[module])),
        )
        for module in modules
    )


def _uv(*args: str) -> None:
    """uv from its cache first; the registry only for what is not cached."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv") or "uv"
    command = [uv, *args, "--quiet"]
    if subprocess.run([*command, "--offline"], capture_output=True).returncode != 0:
        subprocess.run(command, check=True, capture_output=True)


def directory_mib(path: Path) -> float:
    """Bytes of every file under ``path``, in MiB (links not followed)."""
    total = sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return round(total / _MIB, 1)


def _site_packages(venv: Path) -> Path:
    (found,) = venv.glob("lib/python*/site-packages")
    return found


def _installed(python: Path) -> tuple[str, ...]:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    listed = subprocess.run(
        [uv, "pip", "list", "--python", str(python), "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    return tuple(sorted(p["name"].lower() for p in json.loads(listed.stdout)))


@contextmanager
def installed_venvs() -> Iterator[tuple[Path, Path]]:
    """The wheel of this checkout in two fresh venvs: SDK alone, and with ``[mock]``."""
    with tempfile.TemporaryDirectory(prefix="kling-footprint-") as scratch:
        root = Path(scratch)
        _uv("build", "--wheel", "--out-dir", str(root / "dist"), str(ROOT))
        (wheel,) = (root / "dist").glob("*.whl")
        lock = str(ROOT / "requirements.lock")
        venvs = []
        for name, requirement in (("sdk", str(wheel)), ("mock", f"{wheel}[mock]")):
            _uv("venv", "--python", sys.executable, str(root / name))
            python = str(root / name / "bin" / "python")
            # Compiled as pip would, so no sample pays for writing bytecode.
            _uv(
                "pip",
                "install",
                "--compile-bytecode",
                "--python",
                python,
                "--constraint",
                lock,
                requirement,
            )
            venvs.append(root / name)
        yield venvs[0], venvs[1]


def measure_footprint(*, install: bool = True, samples: int = 7) -> Footprint:
    """The install and import figures (``install=False``: imports in this interpreter)."""
    modules = (BASELINE, *SUBJECTS)
    if not install:
        imports = measure_imports(modules, python=None, samples=samples)
        return Footprint(None, imports, sys.executable)
    with installed_venvs() as (sdk, mock):
        names = _installed(sdk / "bin" / "python")
        figure = InstallFigure("SDK only", directory_mib(_site_packages(sdk)), len(names), names)
        imports = measure_imports(modules, python=mock / "bin" / "python", samples=samples)
        return Footprint(figure, imports, "a fresh venv with kling-expand-toolkit[mock]")


def footprint_lines(footprint: Footprint) -> list[str]:
    """The figures as lines of text, for the end of a run."""
    lines = []
    if footprint.install is not None:
        install = footprint.install
        lines.append(
            f"{install.what} install: {install.size_mib} MiB, {install.packages} packages "
            f"({', '.join(install.names)})"
        )
    ratios = footprint.ratios()
    for figure in footprint.imports:
        line = (
            f"import {figure.module}: {figure.seconds * 1000:.1f} ms, "
            f"{figure.modules_loaded} modules loaded ({figure.modules_total} in sys.modules)"
        )
        if figure.module in ratios:
            over = ratios[figure.module]
            line += f"; {over['seconds']}x the time and {over['modules']}x the modules of httpx"
        lines.append(line)
    lines.append(f"target: import kling_expand at most {TARGET_IMPORT_RATIO}x import httpx")
    return lines
