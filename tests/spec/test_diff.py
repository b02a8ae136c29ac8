"""The structural diff marks each change breaking or not, from a client's side."""

from typing import Any

import pytest

from kling_spec import CREATE_PATH
from kling_spec_tools import diff_specs


def request_props(spec: dict[str, Any]) -> dict[str, Any]:
    op = spec["paths"][CREATE_PATH]["post"]
    return op["requestBody"]["content"]["application/json"]["schema"]["properties"]


def verdicts(old: dict[str, Any], new: dict[str, Any]) -> dict[str, bool]:
    return {f"{c.where.split(' ', 2)[2]}: {c.what}": c.breaking for c in diff_specs(old, new)}


def test_identical_specs_have_no_changes(make_upstream) -> None:
    assert diff_specs(make_upstream(), make_upstream()) == []


@pytest.mark.parametrize(
    ("bound", "shift", "breaking"),
    [
        ("maximum", -0.5, True),
        ("maximum", 1, False),
        ("minimum", 0.5, True),
        ("minimum", -1, False),
    ],
)
def test_narrowing_a_request_bound_breaks_and_widening_does_not(
    make_upstream, bound: str, shift: float, breaking: bool
) -> None:
    old, new = make_upstream(), make_upstream()
    request_props(new)["up_expansion_ratio"][bound] += shift

    assert list(verdicts(old, new).values()) == [breaking]


def test_a_new_required_request_field_breaks_and_an_optional_one_does_not(make_upstream) -> None:
    old, new = make_upstream(), make_upstream()
    request_props(new)["seed"] = {"type": "integer"}
    request_props(new)["style"] = {"type": "string"}
    new["paths"][CREATE_PATH]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "required"
    ].append("style")

    assert verdicts(old, new) == {
        "request body.seed: optional field added": False,
        "request body.style: required field added": True,
    }


def test_removing_an_operation_or_a_field_breaks(make_upstream) -> None:
    old, new = make_upstream(), make_upstream()
    del request_props(new)["prompt"]
    assert verdicts(old, new) == {"request body.prompt: field removed": True}

    gone = make_upstream()
    del gone["paths"][CREATE_PATH]
    assert [(c.what, c.breaking) for c in diff_specs(old, gone)] == [("operation removed", True)]


def test_a_new_response_enum_value_breaks_readers(make_upstream) -> None:
    old, new = make_upstream(), make_upstream()
    data = new["paths"][CREATE_PATH]["post"]["responses"]["200"]["content"]["application/json"]
    data["schema"]["properties"]["data"]["properties"]["task_status"]["enum"].append("queued")

    assert verdicts(old, new) == {
        "response 200.data.task_status: enum added ['queued'] removed []": True
    }


def test_a_moved_server_is_reported_as_breaking(make_upstream) -> None:
    old, new = make_upstream(), make_upstream()
    new["servers"] = [{"url": "https://api.example.test"}]

    [change] = diff_specs(old, new)

    assert change.where == "servers"
    assert "https://api.example.test" in change.what
    assert change.breaking
