"""The spec, the SDK's local check and the mock's answer agree on any create request.

For any four ratios, n, prompt and image (size and format), on the published
spec and on copies with a bound moved: the independent oracle's verdict, whether
the SDK refuses before sending, and whether the mock (in process) accepts are
one and the same. A bound moved in the mock alone, or in the SDK alone, breaks
the property, which is how we know it can fail.
"""

import pytest
from hypothesis import given

from kling_expand import InputValidationError, InvalidRequestError

from ..falsify import expect_falsified
from ..oracle import SpecOracle
from ..sdk_calls import SdkCaller
from ..spec_variants import OBSERVABLE_CHANGES
from ..strategies import RequestCase, baseline_case, pin_boundaries, request_cases
from .mocking import last_seq


def sdk_arguments(case: RequestCase, oracle: SpecOracle) -> dict:
    """The SDK's keyword arguments for a typed request case."""
    bounds = oracle.bounds
    (up, down), (left, right) = bounds.vertical, bounds.horizontal
    sides = {"up": up, "down": down, "left": left, "right": right}
    arguments = {side: case.fields[name] for side, name in sides.items()}
    for name, argument in (
        ("n", "n"),
        (bounds.prompt_field, "prompt"),
        ("callback_url", "callback_url"),
    ):
        if name in case.fields:
            arguments[argument] = case.fields[name]
    return arguments


def spec_sdk_and_mock_agree(oracle: SpecOracle, sdk: SdkCaller, mock, mock_http):
    """The agreement property, ready to run: the oracle judges, the SDK and the mock must concur."""
    bounds = oracle.bounds

    @pin_boundaries(bounds, typed=True)
    @given(case=request_cases(bounds, typed=True))
    def agree(case: RequestCase) -> None:
        body = case.body()
        verdict = oracle.judge(body)

        # The mock, sent the body as is
        answer = mock_http.post(bounds.create_path, json=body)
        envelope = answer.json()
        if verdict.accepted:
            assert (answer.status_code, envelope["code"]) == (200, 0), envelope
        else:
            assert (answer.status_code, envelope["code"]) == (400, 1201), (verdict, envelope)

        # The SDK, given the same request through its typed API (a refusal by the
        # mock means the SDK sent what it should have refused)
        sent_before = last_seq(mock)
        try:
            sdk.call("submit", case.image.encoded(), **sdk_arguments(case, oracle))
        except InputValidationError:
            refused_locally = True
        except InvalidRequestError as refused:
            raise AssertionError(f"the SDK sent a request the mock refused: {refused}") from None
        else:
            refused_locally = False
        assert refused_locally != verdict.accepted, verdict
        assert last_seq(mock) - sent_before == (0 if refused_locally else 1)

    return agree


def test_spec_sdk_and_mock_agree_on_any_request(spec_variant, make_mock, make_sdk) -> None:
    mock = make_mock(spec_variant)
    sdk = make_sdk(mock, spec_variant)
    with mock.client() as mock_http:
        spec_sdk_and_mock_agree(SpecOracle(spec_variant), sdk, mock, mock_http)()


@pytest.mark.parametrize("change", OBSERVABLE_CHANGES, ids=lambda change: change.id)
@pytest.mark.parametrize("moved_in", ["mock", "sdk"])
def test_a_bound_moved_in_one_party_alone_breaks_the_agreement(
    change, moved_in, make_spec, make_mock, make_sdk
) -> None:
    # Given the oracle on the published spec, and one party reading a copy with a bound moved
    published, moved = make_spec(), make_spec(change)
    mock = make_mock(moved if moved_in == "mock" else published)
    sdk = make_sdk(mock, moved if moved_in == "sdk" else published)
    with mock.client() as mock_http:
        agree = spec_sdk_and_mock_agree(SpecOracle(published), sdk, mock, mock_http)

        # Then the agreement property fails
        assert expect_falsified(agree)


def test_the_sdk_and_the_mock_agree_on_a_callback_url_that_is_no_uri(
    published_bounds, make_mock, make_sdk
) -> None:
    # Given a request that is valid but for a callback_url that is not a URI
    mock = make_mock()
    sdk = make_sdk(mock)
    case = baseline_case(published_bounds).with_fields("no uri", callback_url="not a uri")
    with mock.client() as http:
        refused_by_mock = http.post(published_bounds.create_path, json=case.body()).is_error

    # Then the SDK's local check gives the same verdict as the mock
    try:
        sdk.call("check", case.image.encoded(), callback_url="not a uri")
    except InputValidationError:
        refused_by_sdk = True
    else:
        refused_by_sdk = False
    assert refused_by_sdk == refused_by_mock
