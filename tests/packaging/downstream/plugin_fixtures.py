"""A downstream project's test file, run there as ``test_downstream.py``: the plugin's fixtures."""

import httpx

from kling_spec import CREATE_PATH


def test_the_plugin_serves_a_mock_and_hands_out_a_client(
    kling_mock_server: object, kling_mock_client: httpx.Client
) -> None:
    response = kling_mock_client.get(CREATE_PATH)

    assert response.status_code == 200
    assert response.json()["data"] == []
