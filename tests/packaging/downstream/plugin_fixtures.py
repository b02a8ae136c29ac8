"""A downstream project's test file, run there as ``test_downstream.py``: the plugin's fixtures."""

import httpx

from kling_expand import KlingExpand
from kling_spec import CREATE_PATH


def test_the_plugin_serves_a_mock_and_hands_out_a_client(
    mock_kling_server: object, mock_kling_client: httpx.Client
) -> None:
    response = mock_kling_client.get(CREATE_PATH)

    assert response.status_code == 200
    assert response.json()["data"] == []


def test_the_sdk_fixture_expands_on_the_mocks_clock(mock_kling_sdk: KlingExpand) -> None:
    result = mock_kling_sdk.expand("https://images.example.com/a.png", up=0.25)

    assert result.task.succeeded
    assert result.fetch()[0].startswith(b"\x89PNG")
