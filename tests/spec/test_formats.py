"""Formats are asserted: `uri` is judged as Schemathesis's validator judges it."""

import jsonschema_rs
from hypothesis import example, given
from hypothesis import strategies as st

from kling_spec import ExpandConstraints, check_expand_request
from kling_spec._formats import is_uri

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


C = ExpandConstraints.from_spec()
URI_FIELDS = [
    name for name, schema in C.request_schema["properties"].items() if schema.get("format") == "uri"
]


def body(**fields: object) -> dict[str, object]:
    return {name: 0 for name in C.ratio_fields} | {C.image_field: "https://h.test/a.png"} | fields


def test_the_request_declares_at_least_one_uri_field() -> None:
    assert URI_FIELDS


@given(st.sampled_from(["", "not a url", "/relative/path", "http://[zz]/"]))
def test_a_uri_field_that_is_no_uri_is_refused_naming_the_field(value: str) -> None:
    for name in URI_FIELDS:
        (violation,) = check_expand_request(body(**{name: value}), C)

        assert (violation.field, violation.code) == (name, 1201)
        assert "uri" in violation.message


def test_an_absolute_uri_is_accepted() -> None:
    for name in URI_FIELDS:
        assert check_expand_request(body(**{name: "https://hooks.example.com/k"}), C) == []
