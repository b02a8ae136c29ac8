"""The package's public surface: ``__all__`` is complete and kept in order."""

import kling_expand


def _order(name: str) -> tuple[int, str]:
    # Constants first, then classes, then functions (ruff's isort-style order).
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_lists_every_public_name_the_package_defines():
    public = {
        name
        for name, value in vars(kling_expand).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("kling_expand")
    }
    assert public <= set(kling_expand.__all__)


def test_all_names_exist_and_are_sorted():
    assert all(hasattr(kling_expand, name) for name in kling_expand.__all__)
    assert kling_expand.__all__ == sorted(kling_expand.__all__, key=_order)
    assert len(set(kling_expand.__all__)) == len(kling_expand.__all__)


def test_the_package_ships_its_type_information():
    from importlib.resources import files

    assert files("kling_expand").joinpath("py.typed").is_file()
