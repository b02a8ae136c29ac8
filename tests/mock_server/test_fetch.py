"""Image URLs are fetched only from the allowlist, within limits; the mock is never a proxy."""

import asyncio
import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image, ImageChops
from starlette.applications import Starlette
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kling_mock import MockKling, ServerThread

from .conftest import Api, C, picture

LEFT = C.horizontal_fields[0]


@pytest.fixture
def image_host(png) -> Iterator[ServerThread]:
    """A real HTTP server on loopback serving a PNG, a text file and a redirect."""
    image = png(400, 300, seed=11)

    async def photo(request):
        return Response(image, media_type="image/png")

    async def text(request):
        return Response(b"not an image", media_type="text/plain")

    async def moved(request):
        return RedirectResponse("http://images.example.com/elsewhere.png")

    app = Starlette(
        routes=[Route("/photo.png", photo), Route("/notes.txt", text), Route("/moved", moved)]
    )
    with ServerThread(app) as server:
        yield server


def refusal(response) -> tuple[int, int]:
    return response.status_code, response.json()["code"]


def test_an_allowlisted_url_is_fetched_and_expanded(api: Api, request_body, image_host) -> None:
    task_id = api.created(request_body(image=image_host.base_url + "/photo.png", **{LEFT: 0.5}))[
        "task_id"
    ]
    api.mock.advance(3600)
    url = api.task(task_id)["task_result"]["images"][0]["url"]

    result = Image.open(io.BytesIO(api.http.get(url).content)).convert("RGB")

    assert result.size == (600, 300)
    original = picture(400, 300, seed=11)
    assert ImageChops.difference(result.crop((200, 0, 600, 300)), original).getbbox() is None


def test_a_fetched_image_is_validated_like_an_upload(api: Api, request_body, image_host) -> None:
    response = api.create(request_body(image=image_host.base_url + "/notes.txt"))

    assert refusal(response) == (400, 1201)
    assert C.image_field in response.json()["message"]


def test_redirects_are_not_followed(api: Api, request_body, image_host) -> None:
    response = api.create(request_body(image=image_host.base_url + "/moved"))

    assert refusal(response) == (400, 1201)
    assert "307" in response.json()["message"]


def recording_transport(calls: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(404)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    "url",
    [
        "https://images.example.com/photo.png",
        "http://127.0.0.1.example.com/photo.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/internal.png",
    ],
)
def test_other_urls_are_never_fetched(make_api, request_body, url: str) -> None:
    calls: list[httpx.Request] = []
    api = make_api(MockKling(fetch_transport=recording_transport(calls)))

    task = api.created(request_body(image=url))

    assert task["task_status"] == "submitted"
    assert calls == []


def test_an_allowlisted_url_with_an_impossible_port_is_refused_unfetched(
    make_api, request_body
) -> None:
    calls: list[httpx.Request] = []
    api = make_api(MockKling(fetch_transport=recording_transport(calls)))

    response = api.create(request_body(image="http://127.0.0.1:99999/a.png"))

    assert (response.status_code, response.json()["code"]) == (400, 1201)
    assert "port" in response.json()["message"] and calls == []


def test_the_allowlist_is_configurable(make_mock, make_api, request_body) -> None:
    calls: list[httpx.Request] = []
    mock = make_mock(
        fetch_allowlist=("images.internal",),
        transports={"fetch_transport": recording_transport(calls)},
    )

    make_api(mock).create(request_body(image="http://images.internal/a.png"))

    assert [str(call.url) for call in calls] == ["http://images.internal/a.png"]


def test_a_fetch_over_the_size_limit_is_refused(make_mock, make_api, request_body, png) -> None:
    data = png(400, 300)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=data))
    api = make_api(
        make_mock(fetch_max_bytes=len(data) - 1, transports={"fetch_transport": transport})
    )

    response = api.create(request_body(image="http://localhost/big.png"))

    assert refusal(response) == (400, 1201)
    assert f"max_bytes {len(data) - 1}" in response.json()["message"]


def test_a_fetch_that_times_out_is_refused(make_mock, make_api, request_body) -> None:
    def hang_up(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    api = make_api(make_mock(transports={"fetch_transport": httpx.MockTransport(hang_up)}))

    response = api.create(request_body(image="http://localhost/slow.png"))

    assert refusal(response) == (400, 1201)
    assert "could not be fetched" in response.json()["message"]


def test_a_fetch_is_cut_off_at_the_time_limit(make_mock, make_api, request_body) -> None:
    class Stalling(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await asyncio.Event().wait()  # never answers
            raise AssertionError("unreachable")

    api = make_api(
        make_mock(fetch_timeout_seconds=0.01, transports={"fetch_transport": Stalling()})
    )

    response = api.create(request_body(image="http://localhost/stalls.png"))

    assert refusal(response) == (400, 1201)
    assert "longer than 0.01 s" in response.json()["message"]
