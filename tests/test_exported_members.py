"""Each hand-written package's public surface: ``__all__`` complete, sorted, typed."""

import importlib
import inspect
from importlib.resources import files

import pytest

PACKAGES = ["kling_expand", "kling_mock", "kling_spec", "kling_spec_tools"]


def isort_order(name: str) -> tuple[int, str]:
    # Constants first, then classes, then functions: the order ruff's isort keeps.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.fixture(params=PACKAGES)
def package(request):
    return importlib.import_module(request.param)


def test_all_lists_exactly_the_public_names_the_package_defines(package) -> None:
    for name in package.__all__:  # a lazy package defines a name once it is first used
        getattr(package, name)
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }

    assert set(package.__all__) == public


def test_all_is_sorted_without_repeats(package) -> None:
    assert package.__all__ == sorted(package.__all__, key=isort_order)
    assert len(set(package.__all__)) == len(package.__all__)


def test_the_package_ships_its_type_information(package) -> None:
    assert files(package.__name__).joinpath("py.typed").is_file()
