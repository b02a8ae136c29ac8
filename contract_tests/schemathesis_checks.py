"""Schemathesis's built-in checks, with the one refinement the spec's prose demands.

JSON Schema cannot say what the image must contain or how large the canvas may
grow, so a request Schemathesis generates as "valid" can still be one the
service refuses (a random string is not an image). The built-in
``positive_data_acceptance`` would then report a 400 as a bug. Here such a 400
counts only when it is code 1201 and its message names one of the spec's
``x-kling-constraints``; any other refusal of positive data still fails. The
mock is never weakened to pass: acceptance of truly valid requests is proven by
the agreement properties in this folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from schemathesis import checks

INVALID_VALUE = 1201

BUILTIN_POSITIVE_DATA_ACCEPTANCE: Any = checks.positive_data_acceptance
BUILTIN_STATUS_CODE_CONFORMANCE: Any = checks.status_code_conformance


def refused_for_a_constraint(response: Any, constraint_names: Iterable[str]) -> bool:
    """Whether ``response`` is a 400 with code 1201 whose message names a constraint."""
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


def positive_data_acceptance_for(constraint_names: Iterable[str]) -> Callable[..., Any]:
    """``positive_data_acceptance``, letting through a refusal that names an x-kling-constraint."""
    names = frozenset(constraint_names)

    def positive_data_acceptance_beyond_json_schema(ctx: Any, response: Any, case: Any) -> Any:
        if refused_for_a_constraint(response, names):
            return None
        return BUILTIN_POSITIVE_DATA_ACCEPTANCE(ctx, response, case)

    return positive_data_acceptance_beyond_json_schema
