"""Schemathesis's built-in checks, with the one refinement the spec's prose demands.

JSON Schema cannot say what the image must contain or how large the canvas may
grow, so a request Schemathesis generates as "valid" can still be one the
service refuses (a random string is not an image). The built-in
``positive_data_acceptance`` would then report a 400 as a bug. Here such a 400
counts only when it is code 1201 and its message names one of the spec's
``x-kling-constraints``; any other refusal of positive data still fails. The
mock is never weakened to pass: acceptance of truly valid requests is proven by
the agreement properties in this folder.

One more refusal counts: a 1201 naming a field whose generated value breaks the
``format`` the spec gives it (``callback_url: ''`` is no ``uri``). JSON Schema
2020-12 treats formats as annotations, so Schemathesis may call such data valid;
the mock asserts them. An independent format check (jsonschema_rs) must agree
that the value is bad, so a mock refusing a good URI still fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from schemathesis import checks

from .oracle import SpecOracle

INVALID_VALUE = 1201


def builtin_check(name: str) -> Any:
    """One of Schemathesis's built-in checks, by its name."""
    return getattr(checks, name)


BUILTIN_POSITIVE_DATA_ACCEPTANCE = builtin_check("positive_data_acceptance")


def refused_for_a_constraint(response: Any, constraint_names: Iterable[str]) -> bool:
    """Whether ``response`` is a 400 with code 1201 whose message names one of ``names``."""
    if response.status_code != 400:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict) or body.get("code") != INVALID_VALUE:
        return False
    message = str(body.get("message", ""))
    return any(re.search(rf"\b{re.escape(name)}\b", message) for name in constraint_names)


def positive_data_acceptance_for(oracle: SpecOracle) -> Callable[..., Any]:
    """``positive_data_acceptance``, letting through a refusal that names an x-kling-constraint
    (or a field whose value breaks its ``format``)."""
    names = oracle.bounds.constraint_names

    def positive_data_acceptance_beyond_json_schema(ctx: Any, response: Any, case: Any) -> Any:
        if refused_for_a_constraint(response, names):
            return None
        if case.method == "POST" and isinstance(case.body, dict):
            if refused_for_a_constraint(response, oracle.format_breaches(case.body)):
                return None
        return BUILTIN_POSITIVE_DATA_ACCEPTANCE(ctx, response, case)

    return positive_data_acceptance_beyond_json_schema
