import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from kling_spec import _files


@pytest.fixture(scope="session")
def upstream_spec() -> dict[str, Any]:
    return yaml.safe_load(_files.UPSTREAM_SPEC.read_bytes())


@pytest.fixture(scope="session")
def overlay() -> dict[str, Any]:
    return _files.load_yaml_file(_files.OVERLAY)


@pytest.fixture
def make_upstream(upstream_spec: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """A fresh, editable copy of the vendored upstream spec."""

    def make() -> dict[str, Any]:
        return copy.deepcopy(upstream_spec)

    return make
