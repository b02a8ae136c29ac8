"""Proving a property can fail: run it on a planted disagreement and expect a counterexample."""

from __future__ import annotations

from collections.abc import Callable

import pytest


def leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


def expect_falsified(prop: Callable[[], None]) -> list[AssertionError]:
    """Run a Hypothesis property and return the assertion failures it found.

    Fails the calling test when the property passes, or when it breaks with
    anything other than failed assertions (a crash is not a counterexample).
    """
    try:
        prop()
    except (AssertionError, BaseExceptionGroup) as error:
        found = leaves(error)
        unexpected = [e for e in found if not isinstance(e, AssertionError)]
        if unexpected:
            raise unexpected[0] from error
        return [e for e in found if isinstance(e, AssertionError)]
    pytest.fail("the property held although a disagreement was planted")
