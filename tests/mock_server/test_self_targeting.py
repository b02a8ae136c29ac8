"""No path from the API to the admin API: URLs that reach the mock itself are refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kling_mock import ADMIN_PREFIX, MockConfig, MockKling, ServerThread
from kling_spec import CREATE_PATH

from .conftest import AUTH, C

SPELLINGS = [
    "http://127.0.0.1:{port}{path}",
    "http://LOCALHOST:{port}{path}",
    "http://localhost.:{port}{path}",
    "http://[::1]:{port}{path}",
    "http://0.0.0.0:{port}{path}",
    "http://127.1.2.3:{port}{path}",
    "HTTP://127.0.0.1:{port}{path}",
]


@pytest.fixture
def served() -> Iterator[tuple[MockKling, ServerThread, httpx.Client]]:
    allow = ("127.0.0.1", "localhost", "::1", "0.0.0.0", "127.1.2.3", "localhost.")
    mock = MockKling(MockConfig(submitted_seconds=1, processing_seconds=1, fetch_allowlist=allow))
    with mock.serve() as server, httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        yield mock, server, http


def _create(http: httpx.Client, **fields: Any) -> httpx.Response:
    body = {**dict.fromkeys(C.ratio_fields, 0.0), C.image_field: "https://images.example.com/a.png"}
    body.update(fields)
    return http.post(CREATE_PATH, json=body)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_callback_to_the_mocks_own_admin_api_is_refused_and_wipes_nothing(
    served, spelling
) -> None:
    # Given one account's task, and another account's callback aimed at the admin reset
    mock, server, http = served
    victim = _create(http).json()["data"]["task_id"]
    hook = spelling.format(port=server.port, path=f"{ADMIN_PREFIX}/reset")
    assert _create(http, callback_url=hook).status_code == 200
    # When the clock moves and callbacks are due
    advanced = http.post(f"{ADMIN_PREFIX}/clock/advance", json={"seconds": 5})
    # Then the delivery is refused as self-targeting, and the victim's task is still there
    assert advanced.status_code == 200
    refused = [d for d in mock.deliveries if d.url == hook]
    assert refused and {d.state for d in refused} == {"refused"}
    assert "this mock itself" in refused[0].attempts[0]["error"]
    assert http.get(f"{CREATE_PATH}/{victim}").status_code == 200


@pytest.mark.parametrize("spelling", SPELLINGS[:4])
def test_an_image_url_at_the_mock_itself_is_refused_with_1201(served, spelling) -> None:
    _, server, http = served
    image = spelling.format(port=server.port, path="/openapi.json")

    response = http.post(
        CREATE_PATH, json={**dict.fromkeys(C.ratio_fields, 0.0), C.image_field: image}
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 1201 and "this mock itself" in body["message"]


def test_a_callback_to_another_loopback_port_is_still_sent(served) -> None:
    mock, _, http = served
    with ServerThread(_receiver_app()) as receiver:
        assert _create(http, callback_url=receiver.base_url + "/hook").status_code == 200
        mock.advance(5)
    assert {d.state for d in mock.deliveries} == {"delivered"}


def test_the_public_base_url_counts_as_the_mock_itself() -> None:
    config = MockConfig(
        public_base_url="https://mock.example.test:8443", fetch_allowlist=("mock.example.test",)
    )
    mock = MockKling(config)

    assert mock.service.reaches_self("https://MOCK.example.test:8443/_mock/reset")
    assert not mock.service.reaches_self("https://mock.example.test/_mock/reset")


def test_user_info_in_an_allowlisted_callback_url_is_never_sent_as_credentials(
    make_mock, make_api, request_body
) -> None:
    sent: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    api = make_api(make_mock(transports={"callback_transport": httpx.MockTransport(receiver)}))
    api.created(request_body(callback_url="http://user:secret@127.0.0.1:9/hook"))
    api.mock.advance(3600)

    assert sent == []
    assert {d.state for d in api.mock.deliveries} == {"refused"}


def test_user_info_in_an_allowlisted_image_url_is_not_fetched(make_mock, make_api) -> None:
    fetched: list[httpx.Request] = []

    def image_host(request: httpx.Request) -> httpx.Response:
        fetched.append(request)
        return httpx.Response(404)

    api = make_api(make_mock(transports={"fetch_transport": httpx.MockTransport(image_host)}))
    body = {
        **dict.fromkeys(C.ratio_fields, 0.0),
        C.image_field: "http://user:secret@127.0.0.1:9/a.png",
    }

    assert api.create(body).status_code == 200  # a synthetic source, as for any other host
    assert fetched == []


def _receiver_app() -> Any:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def hook(request: Any) -> Response:
        return Response(status_code=204)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])
