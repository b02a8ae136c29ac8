"""callback_url must be a URI (the spec says `format: uri`), judged as Schemathesis judges it."""

import jsonschema_rs
from hypothesis import example, given
from hypothesis import strategies as st

from kling_mock._formats import is_uri

from .conftest import Api

REFERENCE = jsonschema_rs.Draft202012Validator(
    {"type": "string", "format": "uri"}, validate_formats=True
)
URI_ALPHABET = st.sampled_from(list("aZ09:/?#[]@!$&'()*+,;=-._~% é\\v"))


@given(st.text(URI_ALPHABET, max_size=30) | st.text(max_size=20))
@example("http://[::1]:8080/hook")
@example("http://[v1.x]/")
@example("http://[zz]/")
@example("a:%zz")
@example("")
def test_uri_agrees_with_the_reference_validator(value: str) -> None:
    assert is_uri(value) == REFERENCE.is_valid(value)


def test_a_callback_url_that_is_no_uri_is_refused(api: Api, request_body) -> None:
    for value in ["", "not a url", "/relative/path"]:
        response = api.create(request_body(callback_url=value))

        assert (response.status_code, response.json()["code"]) == (400, 1201)
        assert "callback_url" in response.json()["message"]


def test_an_absolute_callback_url_is_accepted(api: Api, request_body) -> None:
    assert api.create(request_body(callback_url="https://hooks.example.com/k")).status_code == 200
