import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kling_spec_tools import SpecFiles, _files

CHECKOUT = SpecFiles.in_folder(Path(__file__).resolve().parents[2] / "openapi")


@pytest.fixture(scope="session")
def upstream_spec() -> dict[str, Any]:
    return yaml.safe_load(CHECKOUT.upstream.read_bytes())


@pytest.fixture(scope="session")
def overlay() -> dict[str, Any]:
    return _files.load_yaml_file(CHECKOUT.overlay)


@pytest.fixture
def make_upstream(upstream_spec: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """A fresh, editable copy of the vendored upstream spec."""

    def make() -> dict[str, Any]:
        return copy.deepcopy(upstream_spec)

    return make


@pytest.fixture
def spec_folder(tmp_path: Path) -> Path:
    """A spec folder outside the checkout: the vendored upstream copy and the overlay."""
    root = tmp_path / "openapi"
    shutil.copytree(CHECKOUT.upstream.parent, root / "upstream")
    shutil.copy(CHECKOUT.overlay, root / "overlay.yaml")
    return root
