import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kling_spec import load_resolved_spec

from .oracle import SpecBounds, SpecOracle
from .spec_variants import SPEC_CHANGES, SpecChange

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_SPEC_PATH = ROOT / "openapi" / "upstream" / "kling-image-expansion.yaml"


@pytest.fixture(scope="session")
def resolved_spec() -> dict[str, Any]:
    """The shipped resolved spec. Shared: never edit it, take a copy."""
    return load_resolved_spec()


@pytest.fixture(scope="session")
def published_bounds(resolved_spec) -> SpecBounds:
    return SpecBounds.read(resolved_spec)


@pytest.fixture(scope="session")
def upstream_spec() -> dict[str, Any]:
    """CometAPI's published spec, exactly as vendored. Shared: never edit it."""
    return yaml.safe_load(UPSTREAM_SPEC_PATH.read_text("utf-8"))


@pytest.fixture
def make_spec(resolved_spec) -> Callable[..., dict[str, Any]]:
    """A fresh copy of the resolved spec with the given changes applied in order."""

    def make(*changes: SpecChange) -> dict[str, Any]:
        spec = copy.deepcopy(resolved_spec)
        for change in changes:
            spec = change.applied_to(spec)
        return spec

    return make


@pytest.fixture(params=SPEC_CHANGES, ids=lambda change: change.id)
def spec_variant(request, make_spec) -> dict[str, Any]:
    """The resolved spec as published, and copies with one bound moved each."""
    return make_spec(request.param)


@pytest.fixture
def oracle(spec_variant) -> SpecOracle:
    return SpecOracle(spec_variant)
