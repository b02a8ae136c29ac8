"""Whatever a client sends, the mock answers with an envelope and never with a 5xx."""

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kling_mock import MockConfig, MockKling
from kling_spec import CREATE_PATH

from .conftest import AUTH, Api, C, b64

finite = st.floats(allow_nan=False, allow_infinity=False)
# Any code point, lone surrogates included: JSON can spell them, so clients can send them.
any_text = st.text(st.characters(exclude_categories=()))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)
# Bodies close to valid ones: every field present, each replaced by anything at all.
near_valid = st.fixed_dictionaries(
    {name: json_values | st.floats(0, 3) for name in C.ratio_fields}
    | {C.image_field: json_values | st.just("https://images.example.com/a.png")},
    optional={
        "n": json_values,
        "prompt": json_values,
        "watermark_info": json_values,
        "callback_url": json_values,
        "external_task_id": json_values,
    },
)

# One mock for all examples: robustness must hold across requests, not only on a fresh one.
needs_shared_api = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_enveloped(response: Any) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code >= 400:
        assert isinstance(body["code"], int) and body["message"] and body["request_id"]
    else:
        assert body["code"] == 0


def post_json(api: Api, body: Any) -> Any:
    # json.dumps escapes lone surrogates (as \\ud800), as any JSON client may send them.
    raw = json.dumps(body).encode()
    headers = {**AUTH, "Content-Type": "application/json"}
    return api.http.post(CREATE_PATH, content=raw, headers=headers)


@needs_shared_api
@given(raw=st.binary(max_size=300))
def test_any_bytes_as_a_body_get_an_envelope(api: Api, raw: bytes) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}

    assert_enveloped(api.http.post(CREATE_PATH, content=raw, headers=headers))


@needs_shared_api
@given(body=json_values | near_valid)
def test_any_json_as_a_body_gets_an_envelope(api: Api, body: Any) -> None:
    assert_enveloped(post_json(api, body))


@needs_shared_api
@given(text=st.text(st.characters(exclude_categories=()), max_size=200))
def test_any_text_as_the_image_gets_an_envelope(api: Api, request_body, text: str) -> None:
    assert_enveloped(post_json(api, request_body(image=text)))


@needs_shared_api
@given(
    task_id=st.text(min_size=1, max_size=40),
    query=st.dictionaries(
        st.sampled_from(["pageNum", "pageSize", "external_task_id", "other"]), st.text(max_size=12)
    ),
)
def test_any_task_id_or_query_gets_an_envelope(api: Api, task_id: str, query: dict) -> None:
    assert_enveloped(api.get(quote(task_id, safe="")))
    assert_enveloped(api.list(**query))


@needs_shared_api
@given(value=st.binary(max_size=60).map(lambda raw: bytes(b for b in raw if b >= 0x20)))
def test_any_authorization_header_gets_an_envelope(api: Api, value: bytes) -> None:
    assert_enveloped(api.list(headers={"Authorization": value}))


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_unsupported_methods_get_an_envelope(api: Api, method: str) -> None:
    response = api.http.request(method, CREATE_PATH, headers=AUTH)

    assert (response.status_code, response.json()["code"]) == (405, 1202)


def test_the_store_stays_bounded_under_many_uploads(make_api, request_body, png) -> None:
    image = png(400, 300)
    limit = 3 * len(image)
    bounded = make_api(MockKling(MockConfig(max_stored_bytes=limit)))

    for _ in range(10):
        bounded.created(request_body(image=b64(image)))

    assert bounded.mock.service.store.stored_bytes <= limit
    assert json.dumps(bounded.list().json())  # still answering


@pytest.mark.parametrize("field", ["extra", C.image_field, "n", "watermark_info"])
@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
# 950 is past max_depth; 100,000 is past the JSON parser's own recursion limit too
@pytest.mark.parametrize("depth", [950, 100_000])
def test_deeply_nested_json_is_refused_not_crashed_on(
    api: Api, request_body, field: str, opening: str, closing: str, depth: int
) -> None:
    marker = '"NESTED"'
    nested = opening * depth + ("1" if opening != "[" else "") + closing * depth
    raw = json.dumps(request_body(**{field: "NESTED"})).replace(marker, nested)

    response = api.http.post(
        CREATE_PATH, content=raw.encode(), headers={**AUTH, "Content-Type": "application/json"}
    )

    assert (response.status_code, response.json()["code"]) == (400, 1200)
    assert "max_depth" in response.json()["message"]


def test_a_huge_wrong_value_gets_a_short_message(api: Api, request_body) -> None:
    # As long a wrong value as the mock parses at all (more commas are refused unparsed)
    response = api.create(request_body(n=list(range(api.mock.service.max_json_commas - 10))))

    assert (response.status_code, response.json()["code"]) == (400, 1201)
    assert len(response.json()["message"]) < 1000


@pytest.mark.parametrize("field", [C.image_field, "external_task_id", "prompt", "callback_url"])
def test_an_unpaired_surrogate_is_refused_as_malformed(api: Api, request_body, field) -> None:
    # JSON can spell a lone UTF-16 surrogate ("\ud800"), which is no Unicode text at all.
    body = request_body(**{field: "https://images.example.com/PLACEHOLDER.png"})
    raw = json.dumps(body).replace("PLACEHOLDER", "\\ud800")

    response = api.http.post(
        CREATE_PATH, content=raw.encode(), headers={**AUTH, "Content-Type": "application/json"}
    )

    assert (response.status_code, response.json()["code"]) == (400, 1200)
    assert "surrogate" in response.json()["message"]
    assert api.list().status_code == 200


def test_a_surrogate_pair_is_ordinary_text(api: Api, request_body) -> None:
    raw = json.dumps(request_body(prompt="PLACEHOLDER")).replace("PLACEHOLDER", "\\ud83d\\ude00")

    response = api.http.post(
        CREATE_PATH, content=raw.encode(), headers={**AUTH, "Content-Type": "application/json"}
    )

    assert response.status_code == 200
