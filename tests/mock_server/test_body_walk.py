"""The shared check skips its walk of a parsed body only when the parser's walk covered it."""

import json

import pytest

from kling_mock import MockConfig, MockKling
from kling_spec import CREATE_PATH, MAX_NESTING

from .conftest import AUTH


def nested_body(request_body, depth: int) -> bytes:
    """A create body whose ``extra`` field nests lists ``depth`` levels below the object."""
    marker = '"NESTED"'
    return (
        json.dumps(request_body(extra="NESTED")).replace(marker, "[" * depth + "]" * depth).encode()
    )


@pytest.mark.parametrize("parser_depth", [MAX_NESTING - 1, MAX_NESTING + 10])
def test_nesting_past_the_shared_bound_is_refused_whatever_the_parser_allows(
    make_api, request_body, parser_depth: int
) -> None:
    # Given a mock whose parser allows nesting below, or beyond, the shared check's bound
    api = make_api(MockKling(MockConfig(max_json_depth=parser_depth)))

    # When a body nests one level past the shared bound
    response = api.http.post(
        CREATE_PATH,
        content=nested_body(request_body, MAX_NESTING),
        headers={**AUTH, "Content-Type": "application/json"},
    )

    # Then one check or the other refuses it as malformed, never the schema walk itself
    assert (response.status_code, response.json()["code"]) == (400, 1200)
    assert "deeper than" in response.json()["message"]
