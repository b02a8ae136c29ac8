import copy
from collections.abc import Callable
from typing import Any

import pytest

from kling_spec import load_resolved_spec

from .oracle import SpecOracle
from .spec_variants import SPEC_CHANGES, SpecChange


@pytest.fixture(scope="session")
def resolved_spec() -> dict[str, Any]:
    """The shipped resolved spec. Shared: never edit it, take a copy."""
    return load_resolved_spec()


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
