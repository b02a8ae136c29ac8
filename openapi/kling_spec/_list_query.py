"""The list operation's query parameters, as the resolved spec states them.

Both the SDK (when it pages through tasks) and the mock (when it parses a list
request) read the parameters' names, defaults and bounds from here rather than
from the raw spec dict.

>>> query = ListQuery.from_spec()
>>> query.page_size.default <= query.page_size.maximum
True
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import SpecError
from ._files import load_resolved_spec
from ._paths import CREATE_PATH
from ._references import EXTERNAL_ID as _EXTERNAL_ID
from ._references import PAGE_NUM as _PAGE_NUM
from ._references import PAGE_SIZE as _PAGE_SIZE
from ._references import resolve_ref

# The roles the SDK and the mock give the list operation's query parameters are
# named in ._references (which checks them); the bounds and defaults come from the spec.


@dataclass(frozen=True)
class IntegerParameter:
    """An integer query parameter: its wire name, default and inclusive bounds."""

    name: str
    default: int
    minimum: int
    maximum: int


@dataclass(frozen=True)
class ListQuery:
    """The list operation's query: page number, page size and the external-id filter."""

    page_num: IntegerParameter
    page_size: IntegerParameter
    external_task_id: str  # the filter parameter's wire name

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None = None) -> ListQuery:
        """Read the query from ``spec`` (default: the resolved spec shipped here)."""
        if spec is None:
            return _default_list_query()
        return _read_list_query(spec)

    @property
    def names(self) -> frozenset[str]:
        """Every query parameter name the list operation takes."""
        return frozenset((self.page_num.name, self.page_size.name, self.external_task_id))


def _read_list_query(spec: Mapping[str, Any]) -> ListQuery:
    try:
        operation = spec["paths"][CREATE_PATH]["get"]
        parameters = [resolve_ref(spec, p) for p in operation.get("parameters", [])]
        by_name = {
            str(p["name"]): resolve_ref(spec, p.get("schema", {}))
            for p in parameters
            if p.get("in") == "query"
        }
        if _EXTERNAL_ID not in by_name:
            raise KeyError(_EXTERNAL_ID)
        return ListQuery(
            page_num=_integer(_PAGE_NUM, by_name[_PAGE_NUM]),
            page_size=_integer(_PAGE_SIZE, by_name[_PAGE_SIZE]),
            external_task_id=_EXTERNAL_ID,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError(f"the list operation's query parameters are incomplete: {exc}") from exc


def _integer(name: str, schema: Mapping[str, Any]) -> IntegerParameter:
    return IntegerParameter(
        name=name,
        default=int(schema["default"]),
        minimum=int(schema["minimum"]),
        maximum=int(schema["maximum"]),
    )


@functools.cache
def _default_list_query() -> ListQuery:
    return _read_list_query(load_resolved_spec())
