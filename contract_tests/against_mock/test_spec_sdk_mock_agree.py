"""The spec, the SDK's local check and the mock's answer agree on any create request.

For any body (four ratios, n, prompt, image, the optional fields; of the right
types or not, fields dropped, the image as a real picture, a URL, with a
``data:`` prefix, as broken base64), on the published spec and on copies with a
bound moved: the independent oracle's verdict and whether the mock (in process)
accepts are one and the same. Where the SDK's API can say the same request, the
SDK refuses it before sending exactly when the oracle does. A bound moved in the
mock alone, or in the SDK alone, breaks the property, which is how we know it
can fail.
"""

from typing import Any

import pytest
from hypothesis import given

from kling_expand import InputValidationError, InvalidRequestError

from ..falsify import expect_falsified
from ..gateways import COMETAPI, example_budget, gateway_path
from ..images import ImageSpec
from ..oracle import SpecBounds, SpecOracle
from ..sdk_calls import SYNC, SdkCaller, sdk_sides
from ..spec_variants import OBSERVABLE_CHANGES, SPEC_CHANGES
from ..strategies import (
    RequestCase,
    baseline_case,
    byte_limit_cases,
    pin_boundaries,
    request_cases,
)
from .conftest import on_each_spec_copy, raw_client, sdk_for


def sdk_keywords(bounds: SpecBounds) -> dict[str, tuple[str, type]]:
    """Optional wire fields the SDK takes as a keyword argument, with its name and type."""
    return {
        bounds.n_field: ("n", int),
        bounds.callback_field: ("callback_url", str),
        bounds.external_task_id_field: ("external_task_id", str),
    }


def sdk_request(case: RequestCase, bounds: SpecBounds) -> tuple[Any, dict[str, Any]] | None:
    """The image and keyword arguments with which the SDK sends exactly this request, or
    None where its API cannot say it.

    The SDK takes the ratios as numbers and fills one left out with 0, takes ``n``,
    the prompt, the callback URL and the external id with their types, the
    watermark as a flag, and the image as bytes, an http(s) URL or base64 text
    (it drops a ``data:`` prefix and surrounding blanks: that request is another).
    It adds an ``external_task_id`` where none is given, which any string fills.
    """
    image = case.image
    if isinstance(image, ImageSpec):
        image = image.encoded()
    elif not isinstance(image, str) or image != image.strip() or image[:5].lower() == "data:":
        return None
    fields = dict(case.fields)
    ratios = {name: fields.pop(name, None) for name in bounds.ratio_fields}
    if not all(_is_number(value) for value in ratios.values()):
        return None
    arguments: dict[str, Any] = sdk_sides(ratios, bounds)
    if bounds.prompt_field in fields:
        arguments["prompt"] = fields.pop(bounds.prompt_field)
        if not isinstance(arguments["prompt"], str):
            return None
    for name, (keyword, kind) in sdk_keywords(bounds).items():
        if name in fields:
            value = arguments[keyword] = fields.pop(name)
            if type(value) is not kind or value == "":
                return None
    if bounds.watermark_field in fields:
        watermark = fields.pop(bounds.watermark_field)
        enabled = bounds.watermark_enabled_field
        if set(watermark) != {enabled} or type(watermark[enabled]) is not bool:
            return None
        arguments["watermark"] = watermark[enabled]
    return None if fields else (image, arguments)


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def sdk_refuses_before_sending(sdk: SdkCaller, mock, image, arguments) -> bool:
    """Whether the SDK refuses the request locally, on an emptied mock; fails if it sends
    what the mock refuses, or sends anything when it refused."""
    mock.reset()
    try:
        sdk.call("submit", image, **arguments)
    except InputValidationError:
        assert mock.journal == [], "the SDK refused, yet sent the request"
        return True
    except InvalidRequestError as refused:
        raise AssertionError(f"the SDK sent a request the mock refused: {refused}") from None
    (sent,) = mock.journal
    assert sent.path.split("?")[0] == sdk.create_path, "sent on another gateway's path"
    return False


def mock_accepts(mock_http, bounds: SpecBounds, body, gateway: str = COMETAPI) -> bool:
    """Whether the mock accepts ``body`` (200/0) on ``gateway``; any other answer than
    400/1201 fails."""
    answer = mock_http.post(gateway_path(bounds.create_path, gateway), json=body)
    envelope = answer.json()
    outcome = (answer.status_code, envelope["code"])
    assert outcome in {(200, 0), (400, 1201)}, envelope
    return outcome == (200, 0)


def spec_sdk_and_mock_agree(oracle: SpecOracle, sdk: SdkCaller, mock, mock_http):
    """The agreement property, ready to run: the oracle judges, the SDK and the mock must concur."""
    bounds = oracle.bounds

    # Half the draws keep to what the SDK can say, so it is held to most of them.
    @pin_boundaries(bounds)
    @given(case=request_cases(bounds, typed=True) | request_cases(bounds))
    def agree(case: RequestCase) -> None:
        body = case.body()
        verdict = oracle.judge(body)

        # The mock, sent the body as is (on an empty account: external_task_id is
        # unique per account, beyond what one request shows)
        mock.reset()
        assert mock_accepts(mock_http, bounds, body, sdk.gateway) == verdict.accepted, verdict

        # The SDK, given the same request through its API, where it can say it
        request = sdk_request(case, bounds)
        if request is not None:
            refused = sdk_refuses_before_sending(sdk, mock, *request)
            assert refused != verdict.accepted, verdict

    return example_budget(sdk.gateway)(agree)


@on_each_spec_copy(SPEC_CHANGES)
def test_spec_sdk_and_mock_agree_on_any_request(
    change, kind, gateway, make_spec, make_mock
) -> None:
    spec = make_spec(change)
    mock = make_mock(spec)
    sdk = sdk_for(kind, mock, spec, gateway)
    with raw_client(mock, gateway) as mock_http:
        spec_sdk_and_mock_agree(SpecOracle(spec), sdk, mock, mock_http)()


# One client is enough to catch a planted disagreement: both check a request alike.
@pytest.mark.parametrize("change", OBSERVABLE_CHANGES, ids=lambda change: change.id)
@pytest.mark.parametrize("moved_in", ["mock", "sdk"])
def test_a_bound_moved_in_one_party_alone_breaks_the_agreement(
    change, moved_in, make_spec, make_mock
) -> None:
    # Given the oracle on the published spec, and one party reading a copy with a bound moved
    published, moved = make_spec(), make_spec(change)
    mock = make_mock(moved if moved_in == "mock" else published)
    sdk = sdk_for(SYNC, mock, moved if moved_in == "sdk" else published)
    with mock.client() as mock_http:
        agree = spec_sdk_and_mock_agree(SpecOracle(published), sdk, mock, mock_http)

        # Then the agreement property fails
        assert expect_falsified(agree)


@pytest.mark.parametrize("index", [0, 1], ids=["at-max_bytes", "one-byte-over"])
def test_an_image_of_max_bytes_is_accepted_and_one_byte_more_refused(
    index, resolved_spec, make_mock, make_sdk
) -> None:
    # Given a valid request whose PNG is exactly the byte limit, or a byte over it
    oracle = SpecOracle(resolved_spec)
    case = byte_limit_cases(oracle.bounds)[index]
    assert len(case.image_spec.encoded()) == oracle.bounds.max_bytes + index

    # Then the oracle, the mock and the SDK all accept the first and refuse the second
    assert oracle.judge(case.body()).accepted is case.on_a_limit
    mock = make_mock()
    with mock.client() as mock_http:
        assert mock_accepts(mock_http, oracle.bounds, case.body()) is case.on_a_limit
    request = sdk_request(case, oracle.bounds)
    assert request is not None, "a case the SDK's typed API can express"
    image, arguments = request
    refused = sdk_refuses_before_sending(make_sdk(mock), mock, image, arguments)
    assert refused is not case.on_a_limit


def test_the_spec_sdk_and_mock_agree_on_a_callback_url_that_is_no_uri(
    resolved_spec, make_mock, make_sdk
) -> None:
    # Given a request that is valid but for a callback_url that is not a URI
    oracle = SpecOracle(resolved_spec)
    mock = make_mock()
    sdk = make_sdk(mock)
    case = baseline_case(oracle.bounds).with_fields("no uri", callback_url="not a uri")

    # Then the oracle refuses it, and so do the mock and the SDK's local check
    assert oracle.judge(case.body()).schema_fields == {"callback_url"}
    with mock.client() as http:
        assert not mock_accepts(http, oracle.bounds, case.body())
    request = sdk_request(case, oracle.bounds)
    assert request is not None, "a case the SDK's typed API can express"
    image, arguments = request
    with pytest.raises(InputValidationError) as caught:
        sdk.call("check", image, **arguments)
    assert caught.value.field == "callback_url"
