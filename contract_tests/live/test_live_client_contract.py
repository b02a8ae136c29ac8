"""The SDK against the real service: answers it documents, read the way the mock gives them.

Each request here is one the service refuses, which costs nothing (a create with
an unknown key among them), except the single paid expansion behind
COMETAPI_LIVE_PAID=1. Without COMETAPI_KEY every test is skipped and nothing is sent.
"""

import io

import pytest
from PIL import Image

from kling_expand import AuthenticationError, KlingExpand, NotFoundError
from kling_spec import load_resolved_spec

from ..oracle import SpecBounds
from ..strategies import baseline_case

pytestmark = pytest.mark.live


def test_an_unknown_key_is_an_authentication_error(live_call) -> None:
    with pytest.raises(AuthenticationError) as caught:
        live_call("get", "contract-test-task", api_key="sk-contract-test-not-a-key")

    assert caught.value.status_code == 401


def test_a_create_with_an_unknown_key_is_refused_before_anything_is_charged(live_call) -> None:
    # Given a valid create request (the smallest image the spec accepts), sent with a
    # key the service does not know
    bounds = SpecBounds.read(load_resolved_spec())
    sent: list = []

    # Then it is refused as unauthenticated, which the service does before any work
    with pytest.raises(AuthenticationError) as caught:
        live_call(
            "submit",
            baseline_case(bounds).image_spec.encoded(),
            api_key="sk-contract-test-not-a-key",
            sent=sent,
        )
    assert caught.value.status_code == 401

    # And the SDK sent that one create: no resend and no lookup (a 4xx says no task
    # was made), so nothing could be charged
    assert sent == [("POST", bounds.create_path)]


def test_a_task_that_does_not_exist_is_not_found(live_call) -> None:
    # This also checks the get path, which the spec infers from CometAPI's other pages.
    with pytest.raises(NotFoundError) as caught:
        live_call("get", "contract-test-no-such-task")

    assert caught.value.status_code == 404


def test_a_small_paid_expansion_follows_the_canvas_convention(live_config, paid_allowed) -> None:
    # Given the smallest image the spec accepts and a small expansion of one side
    bounds = SpecBounds.read(load_resolved_spec())
    case = baseline_case(bounds)
    width = height = bounds.min_side

    # When it is expanded once
    with KlingExpand(**live_config) as client:
        result = client.expand(case.image_spec.encoded(), right=0.1, n=1, timeout=600)
        (data,) = result.fetch()

    # Then the canvas is the convention's, give or take Kling's undocumented rounding
    canvas_width, canvas_height, _, _ = bounds.canvas(
        width, height, {**case.fields, bounds.horizontal[1]: 0.1}
    )
    got = Image.open(io.BytesIO(data)).size
    assert abs(got[0] - canvas_width) <= 1 and abs(got[1] - canvas_height) <= 1
