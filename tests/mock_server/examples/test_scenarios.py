"""Runnable examples: a small piece of user code tested against the mock, one scenario each.

Each scenario is one line on the ``mock_kling`` fixture; the code under test is the
user's, not the SDK's.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

import pytest

from kling_expand import KlingExpand, PolicyError, TaskFailedError, verify_callback
from kling_mock import MockConfig, MockKling

IMAGE = "https://example.com/shop/shoe.jpg"
SECRET = "whsec_" + base64.b64encode(b"an example signing secret").decode()


# --- the user's code -------------------------------------------------------------------


def widen_product_photo(client: KlingExpand, url: str) -> str:
    """Widen a photo for the shop; a refused photo is reported, not raised."""
    try:
        result = client.expand(url, left=0.25, right=0.25)
    except PolicyError:
        return "refused: pick another photo"
    except TaskFailedError as exc:
        return f"failed: {exc}"
    return result.task.images[0].url


def handle_webhook(body: bytes, headers: Mapping[str, str]) -> str:
    """The shop's webhook endpoint: trust only signed callbacks."""
    task = verify_callback(body, headers, SECRET)
    return f"{task.id}:{task.status}"


# --- the tests -------------------------------------------------------------------------


def test_a_photo_refused_by_policy_is_reported(
    mock_kling: MockKling, mock_kling_sdk: KlingExpand
) -> None:
    mock_kling.fail_next_create()
    assert widen_product_photo(mock_kling_sdk, IMAGE) == "refused: pick another photo"


def test_a_failed_task_is_reported(mock_kling: MockKling, mock_kling_sdk: KlingExpand) -> None:
    mock_kling.fail_task()
    assert widen_product_photo(mock_kling_sdk, IMAGE).startswith("failed: ")


def test_a_rate_limited_service_is_retried_until_it_answers(
    mock_kling: MockKling, mock_kling_sdk: KlingExpand
) -> None:
    mock_kling.rate_limit(2)
    assert widen_product_photo(mock_kling_sdk, IMAGE).startswith("http")
    assert [entry.status for entry in mock_kling.journal][:2] == [429, 429]


def test_a_service_under_maintenance_is_retried(
    mock_kling: MockKling, mock_kling_sdk: KlingExpand
) -> None:
    mock_kling.fail_next_create("unavailable", times=2)
    assert widen_product_photo(mock_kling_sdk, IMAGE).startswith("http")


@pytest.fixture
def mock_kling_config() -> MockConfig:
    """This module's mock signs its callbacks."""
    return MockConfig(callback_secret=SECRET)


def test_a_signed_callback_is_accepted(mock_kling: MockKling, mock_kling_sdk: KlingExpand) -> None:
    task = mock_kling_sdk.submit(IMAGE, left=0.25, callback_url="http://127.0.0.1:9/hook")
    mock_kling.advance(60)
    body, headers = mock_kling.signed_callback()
    assert handle_webhook(body, headers) == f"{task.id}:succeed"
