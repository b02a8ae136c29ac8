"""Succeeded tasks have n real, distinct expanded images, served at their result URLs."""

import io
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops, ImageStat

import kling_mock._render
import kling_mock._service

from .conftest import Api, C, b64, picture

UP, DOWN = C.vertical_fields
LEFT, RIGHT = C.horizontal_fields


def download(api: Api, url: str) -> Image.Image:
    response = api.http.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def finished(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    task_id = api.created(body)["task_id"]
    api.mock.advance(3600)
    return api.task(task_id)


def test_the_canvas_and_offset_follow_the_documented_convention(api: Api, request_body, png):
    # Given a 400x300 PNG expanded up 0.5, down 0.25, left 0.1, right 0.3
    ratios = {UP: 0.5, DOWN: 0.25, LEFT: 0.1, RIGHT: 0.3}
    source = picture(400, 300, seed=3)
    task = finished(api, request_body(image=b64(png(400, 300, seed=3)), **ratios))

    result = download(api, task["task_result"]["images"][0]["url"])

    # Then the canvas is round(400 * 1.4) x round(300 * 1.75), the original at (40, 150)
    assert result.size == (560, 525)
    placed = result.convert("RGB").crop((40, 150, 440, 450))
    assert ImageChops.difference(placed, source).getbbox() is None


ODD = C.image_min_side | 1  # an odd side the spec accepts
TIE_CANVAS, TIE_OFFSET = (3 * ODD + 1) // 2, (ODD + 1) // 2  # ODD * 1.5 and ODD * 0.5, up


@pytest.mark.parametrize(
    ("size", "ratios", "canvas", "offset"),
    [
        # ODD * 1.5 and ODD * 0.5 are both ties: halves go up, so the original's last
        # column still lands on the canvas (half to even put it one pixel off the edge)
        ((ODD, ODD + 1), {LEFT: 0.5}, (TIE_CANVAS, ODD + 1), (TIE_OFFSET, 0)),
        ((ODD + 1, ODD), {UP: 0.5}, (ODD + 1, TIE_CANVAS), (0, TIE_OFFSET)),
    ],
    ids=["odd-width", "odd-height"],
)
def test_an_odd_side_on_a_rounding_tie_keeps_every_original_pixel(
    api: Api, request_body, png, size, ratios, canvas, offset
) -> None:
    width, height = size
    source = picture(width, height, seed=7)
    task = finished(api, request_body(image=b64(png(width, height, seed=7)), **ratios))

    result = download(api, task["task_result"]["images"][0]["url"])

    assert result.size == canvas
    box = (*offset, offset[0] + size[0], offset[1] + size[1])
    assert ImageChops.difference(result.convert("RGB").crop(box), source).getbbox() is None


def test_transparent_png_pixels_survive_unchanged(api: Api, request_body, png) -> None:
    source = picture(320, 320, mode="RGBA", seed=5)
    task = finished(api, request_body(image=b64(png(320, 320, "RGBA", 5)), **{LEFT: 1.0}))

    result = download(api, task["task_result"]["images"][0]["url"])

    assert result.mode == "RGBA"
    assert ImageChops.difference(result.crop((320, 0, 640, 320)), source).getbbox() is None


def test_a_jpeg_source_gets_the_same_geometry(api: Api, request_body) -> None:
    out = io.BytesIO()
    picture(300, 600).save(out, "JPEG")
    task = finished(api, request_body(image=b64(out.getvalue()), **{UP: 0.5}))

    assert download(api, task["task_result"]["images"][0]["url"]).size == (300, 900)


def test_each_of_the_n_images_is_distinct(api: Api, request_body, png) -> None:
    n = int(C.n_bound.maximum)
    task = finished(api, request_body(image=b64(png()), n=n, **{UP: 0.3, RIGHT: 0.3}))

    images = task["task_result"]["images"]
    pictures = [download(api, image["url"]).convert("RGB") for image in images]

    assert [image["index"] for image in images] == list(range(n))
    assert len({image["url"] for image in images}) == n
    assert len({picture.tobytes() for picture in pictures}) == n


def test_the_border_continues_the_picture(api: Api, request_body, png) -> None:
    # A border that continues the picture has about the picture's own colours.
    source = picture(400, 300, seed=9).convert("RGB")
    task = finished(api, request_body(image=b64(png(400, 300, seed=9)), **{RIGHT: 0.5}))

    result = download(api, task["task_result"]["images"][0]["url"]).convert("RGB")
    border = result.crop((400, 0, 600, 300))

    source_mean = ImageStat.Stat(source).mean
    border_mean = ImageStat.Stat(border).mean
    assert all(abs(a - b) < 30 for a, b in zip(source_mean, border_mean, strict=True))


def test_rendering_is_deterministic(make_mock, make_api, request_body, png) -> None:
    body = request_body(image=b64(png()), **{DOWN: 0.4})
    first, second = make_api(make_mock(seed=1)), make_api(make_mock(seed=1))

    images = [
        first.http.get(finished(first, body)["task_result"]["images"][0]["url"]).content,
        second.http.get(finished(second, body)["task_result"]["images"][0]["url"]).content,
    ]

    assert images[0] == images[1]


def test_a_watermarked_copy_exists_only_when_asked_for(api: Api, request_body, png) -> None:
    plain = finished(api, request_body(image=b64(png())))
    marked = finished(api, request_body(image=b64(png()), watermark_info={"enabled": True}))

    assert "watermark_url" not in plain["task_result"]["images"][0]
    entry = marked["task_result"]["images"][0]
    clean, stamped = download(api, entry["url"]), download(api, entry["watermark_url"])
    assert clean.size == stamped.size
    difference = ImageStat.Stat(ImageChops.difference(clean.convert("RGB"), stamped.convert("RGB")))
    assert max(difference.mean) > 10  # visibly marked, not a few stray pixels
    assert marked["watermark_info"] == {"enabled": True}


def test_asking_for_a_watermark_of_an_unmarked_task_is_404(api: Api, request_body) -> None:
    url = finished(api, request_body())["task_result"]["images"][0]["url"]

    response = api.http.get(url.replace(".png", ".watermarked.png"))

    assert (response.status_code, response.json()["code"]) == (404, 1203)


def test_results_are_rendered_once_and_then_served_from_memory(
    api: Api, request_body, monkeypatch
) -> None:
    renders: list[int] = []
    real = kling_mock._render.expand_image

    def counting(*args: Any, **kwargs: Any) -> Image.Image:
        renders.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(kling_mock._service, "expand_image", counting)
    task = finished(api, request_body(n=2))
    for _ in range(3):
        for image in task["task_result"]["images"]:
            download(api, image["url"])

    assert len(renders) == 2


def test_the_render_cache_stays_within_its_budget(make_mock, make_api, request_body) -> None:
    api = make_api(make_mock(render_cache_bytes=300_000))
    task = finished(api, request_body(n=int(C.n_bound.maximum), **{UP: 1.0}))

    for image in task["task_result"]["images"]:
        download(api, image["url"])

    assert 0 < api.mock.service.renders.size_bytes <= 300_000


def test_a_url_the_mock_does_not_fetch_gets_a_synthetic_source_of_the_configured_size(
    make_mock, make_api, request_body
) -> None:
    api = make_api(make_mock(synthetic_size=(500, 400)))
    task = finished(api, request_body(**{LEFT: 0.2, RIGHT: 0.2}))

    assert download(api, task["task_result"]["images"][0]["url"]).size == (700, 400)


@pytest.mark.parametrize("ttl_days", [30, 2])
def test_a_result_may_be_cached_until_its_task_expires(
    make_mock, make_api, request_body, ttl_days: int
) -> None:
    ttl = ttl_days * 24 * 3600
    api = make_api(make_mock(task_ttl_seconds=ttl))
    url = finished(api, request_body())["task_result"]["images"][0]["url"]

    response = api.http.get(url)

    # finished() moved the clock an hour past the create
    assert response.headers["cache-control"] == f"max-age={ttl - 3600}"


def test_results_do_not_exist_before_the_task_succeeds(api: Api, request_body) -> None:
    task_id = api.created(request_body())["task_id"]
    token = api.mock.service.result_token(task_id)
    url = f"/_mock/results/{task_id}/{token}/0.png"

    assert api.http.get(url).status_code == 404
    api.mock.advance(3600)
    assert api.http.get(url).status_code == 200
    assert api.http.get(f"/_mock/results/{task_id}/{token}/1.png").status_code == 404


def test_a_result_url_without_its_token_is_not_found(api: Api, request_body) -> None:
    # Given a finished task whose id is known (ids are not secrets)
    url = finished(api, request_body())["task_result"]["images"][0]["url"]
    task_id = url.split("/")[-3]
    # When someone asks for its result without the token, or with another one
    guesses = [f"/_mock/results/{task_id}/0.png", f"/_mock/results/{task_id}/{'0' * 32}/0.png"]
    # Then nothing is served
    assert [api.http.get(guess).status_code for guess in guesses] == [404, 404]
    assert api.http.get(url).status_code == 200


def test_unseeded_mocks_draw_different_task_ids(make_mock, make_api, request_body) -> None:
    first, second = (make_api(make_mock()).created(request_body())["task_id"] for _ in range(2))

    assert first != second


def test_seeded_mocks_repeat_their_task_ids_and_result_urls(make_mock, make_api, request_body):
    urls = [finished(make_api(make_mock(seed=7)), request_body())["task_result"] for _ in range(2)]

    assert urls[0] == urls[1]


def test_a_succeeded_record_carries_the_deduction(api: Api, request_body) -> None:
    task = finished(api, request_body(n=3))

    assert task["final_unit_deduction"] == "3"
    assert set(task["final_balance_deduction"]) == {"quota", "list_price"}


@pytest.mark.asyncio
async def test_results_download_over_a_real_server(make_mock, request_body) -> None:
    mock = make_mock()
    with mock.serve() as server:
        async with httpx.AsyncClient(base_url=server.base_url, headers=mock.headers()) as client:
            created = await client.post("/kling/v1/images/editing/expand", json=request_body())
            await mock.advance_async(3600)
            task_id = created.json()["data"]["task_id"]
            task = (await client.get(f"/kling/v1/images/editing/expand/{task_id}")).json()
            image = await client.get(task["data"]["task_result"]["images"][0]["url"])

    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.content)).size == mock.config.synthetic_size


def test_an_integral_float_n_yields_that_many_images(api: Api, request_body) -> None:
    task = finished(api, request_body(n=3.0))

    assert [image["index"] for image in task["task_result"]["images"]] == [0, 1, 2]


@pytest.mark.parametrize(
    "name",
    ["1" * 5000 + ".png", "%C2%B2.png", "0x1.png", "-1.png"],
    ids=["huge", "superscript", "hex", "negative"],
)
def test_a_result_name_that_is_no_index_is_not_found_never_an_error(api: Api, name: str) -> None:
    response = api.http.get(f"/_mock/results/1/{api.mock.service.result_token('1')}/{name}")

    assert (response.status_code, response.json()["code"]) == (404, 1202)
