"""The requests every benchmark sends, taken from the resolved spec.

>>> body = example_create_body()
>>> body["image"].startswith("https://")
True
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kling_spec import CREATE_PATH, TASK_PATH, load_resolved_spec


def example_create_body(spec: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The create operation's documented example (a URL image): a request the service accepts."""
    spec = load_resolved_spec() if spec is None else spec
    content = spec["paths"][CREATE_PATH]["post"]["requestBody"]["content"]["application/json"]
    examples = content["examples"]
    first = next(iter(examples.values()))
    return copy.deepcopy(dict(first["value"]))


def auth_headers(api_key: str) -> dict[str, str]:
    """The bearer header every request carries."""
    return {"Authorization": f"Bearer {api_key}"}


def task_path(task_id: str) -> str:
    """The get operation's path for ``task_id``."""
    return TASK_PATH.format(task_id=task_id)


def task_id_of(envelope: Any) -> str:
    """The task id in a create or get answer; ValueError when the answer is not a success.

    >>> task_id_of({"code": 0, "data": {"task_id": "t1"}})
    't1'
    """
    if not isinstance(envelope, Mapping) or envelope.get("code") not in (0, "0"):
        raise ValueError(f"not a successful task envelope: {str(envelope)[:300]}")
    data = envelope.get("data")
    task_id = data.get("task_id") if isinstance(data, Mapping) else None
    if not isinstance(task_id, str) or not task_id:
        raise ValueError(f"no data.task_id in the answer: {str(envelope)[:300]}")
    return task_id
