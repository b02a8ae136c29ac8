"""Schemathesis's built-in checks, with the one refinement the spec's prose demands.

JSON Schema cannot say what the image must contain or how large the canvas may
grow, so a request Schemathesis generates as "valid" can still be one the
service refuses (a random string is not an image). The built-in
``positive_data_acceptance`` would then report a 400 as a bug. Here such a 400
is excused only when all of these hold:

- it is code 1201 (an invalid value) to a create request;
- the independent oracle refuses that same body, and for a rule JSON Schema
  cannot state: the area factor or the image's content (the oracle, not the
  mock's message, decides what the spec allows);
- the message names that rule (``max_area_factor``, ``min_side_px``, ...), or for
  the image's content the image field.

A refusal for anything plain JSON Schema states (``prompt`` over its
``maxLength``, a ratio over its ``maximum``) is never excused: Schemathesis
generated the value within the schema, so refusing it is the mock's fault.

One more refusal counts: a 1201 naming a field whose generated value breaks the
``format`` the spec gives it (``callback_url: ''`` is no ``uri``). JSON Schema
2020-12 treats formats as annotations, so Schemathesis may call such data valid;
the mock asserts them. The oracle must find the same breach, so a mock refusing
a good URI still fails. The mock is never weakened to pass: acceptance of truly
valid requests is proven by the agreement properties in this folder.
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


def names_any(message: str, names: Iterable[str]) -> bool:
    """Whether ``message`` names one of ``names`` as a word of its own."""
    return any(re.search(rf"\b{re.escape(name)}\b", message) for name in names)


def excused_refusal(response: Any, oracle: SpecOracle, body: Any) -> bool:
    """Whether ``response`` refuses ``body`` for a rule JSON Schema cannot state, as the
    oracle finds it does, naming that rule (see the module's docstring)."""
    if response.status_code != 400:
        return False
    try:
        envelope = response.json()
    except ValueError:
        return False
    if not isinstance(envelope, dict) or envelope.get("code") != INVALID_VALUE:
        return False
    message = str(envelope.get("message", ""))
    return names_any(message, oracle.names_beyond_json_schema(body))


def positive_data_acceptance_for(oracle: SpecOracle) -> Callable[..., Any]:
    """``positive_data_acceptance``, excusing only a refusal the oracle agrees with for a
    rule beyond JSON Schema (or a ``format``)."""
    create_path = oracle.bounds.create_path

    def positive_data_acceptance_beyond_json_schema(ctx: Any, response: Any, case: Any) -> Any:
        is_create = case.method == "POST" and case.path == create_path
        if is_create and excused_refusal(response, oracle, case.body):
            return None
        return BUILTIN_POSITIVE_DATA_ACCEPTANCE(ctx, response, case)

    return positive_data_acceptance_beyond_json_schema
