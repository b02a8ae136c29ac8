"""Error mapping: every answer becomes a model or one typed error of the one tree."""

from __future__ import annotations

import copy
import json
import re
import textwrap

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kling_expand
from kling_expand import (
    KLING_ERROR_CODES,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    DownloadError,
    InvalidRequestError,
    KlingError,
    NotFoundError,
    RateLimitError,
    ServerError,
    make_status_error,
)
from kling_spec import load_resolved_spec

from .conftest import API_KEY, CREATE_URL, undecodable

TASK_URL = f"{CREATE_URL}/t1"


def codes_named_in_spec_responses() -> dict[int, int]:
    """Each Kling code the resolved spec's error responses mention, with its HTTP status."""
    spec = load_resolved_spec()
    status_of = {}
    for operation in spec["paths"].values():
        for method in operation.values():
            for status, response in method.get("responses", {}).items():
                if "$ref" in response:
                    status_of[response["$ref"].rsplit("/", 1)[1]] = int(status)
    found: dict[int, int] = {}
    for name, response in spec["components"]["responses"].items():
        text = response["description"]
        for low, high in re.findall(r"\b(\d{4})(?:-(\d{4}))?\b", text):
            for code in range(int(low), int(high or low) + 1):
                found[code] = status_of[name]
    return found


def test_every_code_the_spec_documents_is_in_the_table():
    documented = codes_named_in_spec_responses()
    assert documented, "the spec's error responses name Kling codes"
    assert set(documented) <= set(KLING_ERROR_CODES)


def test_every_code_in_the_table_maps_to_its_class_from_its_documented_status():
    for code, row in KLING_ERROR_CODES.items():
        error = make_status_error(
            row.http_status, {"code": code, "message": "m", "request_id": "r"}
        )
        assert type(error) is row.error_class, code
        assert (error.status_code, error.code, error.request_id) == (row.http_status, code, "r")


def test_codes_sit_in_the_families_the_tree_draws():
    tree = kling_expand._exceptions.__doc__
    for code, row in KLING_ERROR_CODES.items():
        line = next(line for line in tree.splitlines() if row.error_class.__name__ in line)
        span = re.search(r"(\d{4})-(\d{4})", line)
        assert span is not None, line
        low, high = (int(n) for n in span.groups())
        assert low <= code <= high, (code, line)


def drawn_tree() -> list[tuple[str | None, str]]:
    """(parent, child) for every class the module docstring draws; the root's parent is None.

    A class's depth is where its name starts on its line, in steps of the
    drawing's four columns (``├── ``, ``│   ``).
    """
    doc = kling_expand._exceptions.__doc__
    drawing = textwrap.dedent(doc.split("::", 1)[1].split("\n\n")[1])
    pairs: list[tuple[str | None, str]] = []
    path: list[str] = []
    for line in drawing.splitlines():
        found = re.match(r"(?P<lead>[ │├└─]*)(?P<name>[A-Z]\w+)", line)
        assert found, f"not a line of the tree: {line!r}"
        depth, rest = divmod(len(found["lead"]), 4)
        assert rest == 0 and depth <= len(path), f"drawn out of step: {line!r}"
        del path[depth:]
        pairs.append((path[-1] if path else None, found["name"]))
        path.append(found["name"])
    return pairs


def public_errors() -> dict[str, type]:
    return {
        name: getattr(kling_expand, name)
        for name in kling_expand.__all__
        if isinstance(getattr(kling_expand, name), type)
        and issubclass(getattr(kling_expand, name), BaseException)
    }


def test_the_drawn_tree_is_the_class_tree_and_draws_every_public_error():
    pairs = drawn_tree()
    errors = public_errors()
    # one root, KlingError, and every public exception class drawn exactly once
    assert [child for parent, child in pairs if parent is None] == ["KlingError"]
    assert sorted(child for _, child in pairs) == sorted(errors)
    # each class's direct base inside the tree is the one it is drawn under
    for parent, child in pairs:
        if parent is None:
            continue
        bases = [base for base in errors[child].__bases__ if issubclass(base, KlingError)]
        assert bases == [errors[parent]], (child, bases, parent)


@pytest.mark.parametrize(
    ("status", "body", "expected", "retryable"),
    [
        (
            401,
            {"error": {"message": "bad key", "type": "comet_api_error"}},
            AuthenticationError,
            False,
        ),
        (
            400,
            {"error": {"message": "bad", "type": "comet_api_error", "code": "x"}},
            InvalidRequestError,
            False,
        ),
        (429, {"error": {"message": "slow", "type": "comet_api_error"}}, RateLimitError, True),
        (524, {"error": {"message": "timeout", "type": "comet_api_error"}}, ServerError, True),
        (500, {"error": {"message": "oops", "code": 5000}}, ServerError, True),
        (404, {"error": {"message": "none", "code": "1203"}}, NotFoundError, False),
    ],
)
def test_cometapi_gateway_bodies_map_into_the_same_tree(status, body, expected, retryable):
    error = make_status_error(status, body)
    assert type(error) is expected
    assert error.message == body["error"]["message"]
    assert error.retryable is retryable


def test_a_kling_code_wins_over_the_http_status():
    error = make_status_error(200, {"code": 1301, "message": "unsafe", "request_id": "r"})
    assert type(error).__name__ == "PolicyError"


def test_the_message_of_an_error_names_status_code_and_request():
    error = make_status_error(429, b'{"code": 1303, "message": "busy", "request_id": "req-7"}')
    assert str(error) == "busy (HTTP 429, code 1303, request req-7)"


@pytest.mark.parametrize(
    "body",
    [
        {"code": 1002, "message": f"unknown key {API_KEY}"},
        json.dumps(
            {
                "code": 1002,
                "message": f"unknown key {API_KEY}",
                "detail": {"echo": [f"Bearer {API_KEY}", 7], API_KEY: True},
            }
        ).encode(),
        f"<html>no such key: {API_KEY}</html>".encode(),
    ],
    ids=["mapping", "nested-json", "text"],
)
def test_the_key_is_masked_if_a_server_echoes_it(body):
    original = copy.deepcopy(body)
    error = make_status_error(401, body, redact=[API_KEY])
    assert API_KEY not in str(error) and "***" in str(error)
    assert API_KEY not in repr(error.body) and "***" in repr(error.body)
    assert body == original, "what the caller passed in is left alone"


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(502, text="<html><body>Bad gateway</body></html>"), ServerError),
        (httpx.Response(500, text="{not json"), ServerError),
        (httpx.Response(524, text="origin timeout"), ServerError),
        (httpx.Response(200, text="<html>login</html>"), APIResponseValidationError),
        (httpx.Response(200, json={"code": 0, "message": "SUCCEED"}), APIResponseValidationError),
        (httpx.Response(200, json={"code": 1203, "message": "no such task"}), NotFoundError),
        (httpx.Response(418, text="teapot"), APIStatusError),
        (httpx.Response(403, json=[1, 2]), APIStatusError),
    ],
    ids=[
        "html-502",
        "bad-json-500",
        "524",
        "html-200",
        "no-data",
        "code-on-200",
        "418",
        "array-403",
    ],
)
def test_bodies_the_generated_client_cannot_parse_still_become_typed_errors(
    make_client, router, response, expected
):
    client = make_client(max_retries=0)
    router.get(TASK_URL).mock(return_value=response)
    with pytest.raises(expected) as caught:
        client.get("t1")
    assert caught.value.status_code == response.status_code
    assert issubclass(expected, KlingError)


def test_an_html_error_page_is_quoted_in_the_message(make_client, router):
    client = make_client(max_retries=0)
    router.get(TASK_URL).mock(return_value=httpx.Response(502, text="<h1>Bad gateway</h1>"))
    with pytest.raises(ServerError, match="Bad gateway"):
        client.get("t1")


def test_a_transport_error_mentioning_the_key_is_masked(make_client, router):
    client = make_client(max_retries=0)
    router.get(TASK_URL).mock(side_effect=httpx.ConnectError(f"cannot send {API_KEY}"))
    with pytest.raises(KlingError) as caught:
        client.get("t1")
    assert API_KEY not in str(caught.value)


def undecodable_body(route) -> None:
    route.mock(side_effect=undecodable)


def redirect_loop(route) -> None:
    route.respond(302, headers={"Location": TASK_URL})


def odd_request_error(route) -> None:
    route.mock(side_effect=httpx.RequestError(f"something odd for {API_KEY}"))


def write_timeout(route) -> None:
    route.mock(side_effect=httpx.WriteTimeout("slow upload"))


@pytest.mark.parametrize(
    ("answer", "expected", "cause"),
    [
        (undecodable_body, APIConnectionError, httpx.DecodingError),
        (redirect_loop, APIConnectionError, httpx.TooManyRedirects),
        (odd_request_error, APIConnectionError, httpx.RequestError),
        (write_timeout, APITimeoutError, httpx.WriteTimeout),
    ],
    ids=["decoding", "too-many-redirects", "any-request-error", "timeout"],
)
def test_every_httpx_request_error_is_raised_as_an_error_of_the_tree(
    make_client, router, answer, expected, cause
):
    client = make_client(max_retries=0)
    answer(router.get(TASK_URL))
    with pytest.raises(expected) as caught:
        client.get("t1")
    assert type(caught.value.__cause__) is cause
    assert API_KEY not in str(caught.value)


def test_a_download_that_cannot_be_decoded_is_an_error_of_the_tree(
    make_client, router, succeeded, tmp_path
):
    client = make_client(max_retries=0)
    router.get(TASK_URL).respond(json=succeeded("t1"))
    router.get("https://cdn.test/t1/0.png").mock(side_effect=undecodable)
    with pytest.raises(DownloadError) as caught:
        client.download(client.get("t1"), tmp_path)
    assert isinstance(caught.value.__cause__, APIConnectionError)
    assert isinstance(caught.value.__cause__.__cause__, httpx.DecodingError)


@given(
    status=st.integers(100, 599),
    body=st.one_of(
        st.binary(max_size=200),
        st.dictionaries(
            st.sampled_from(["code", "message", "request_id", "error"]),
            st.none()
            | st.integers()
            | st.text(max_size=20)
            | st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=3),
            max_size=4,
        ),
    ),
)
def test_any_answer_maps_to_an_error_of_the_tree_without_raising(status, body):
    error = make_status_error(status, body)
    assert isinstance(error, APIStatusError) and error.status_code == status
    assert isinstance(str(error), str) and error.message
