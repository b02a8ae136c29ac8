import copy
import io

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kling_bench._payload import (
    Upload,
    canvas_size,
    gradient_png,
    max_area_ratios,
    measure_mock_render,
    measure_upload_http,
    measure_upload_in_process,
    noise_png,
)
from kling_bench._ports import pick_free_port
from kling_bench._requests import example_create_body, task_id_of
from kling_spec import (
    CREATE_PATH,
    TASK_PATH,
    ExpandConstraints,
    check_expand_request,
    check_image,
    inspect_image,
    load_resolved_spec,
)


@pytest.fixture(scope="module")
def constraints() -> ExpandConstraints:
    return ExpandConstraints.from_spec()


def _spec_with(max_area_factor: float):
    spec = copy.deepcopy(load_resolved_spec())
    schema = spec["components"]["schemas"]["ExpandImageRequest"]
    schema["x-kling-constraints"]["expansion"]["max_area_factor"] = max_area_factor
    return spec


def test_the_noise_png_is_as_large_as_asked_and_no_larger(constraints) -> None:
    limit = 600 * 1024

    data = noise_png(limit)

    assert 0.98 * limit < len(data) <= limit
    info = inspect_image(data)
    assert info.format == "png"
    assert check_image(info, constraints) == []


def test_the_upload_at_the_spec_limit_is_a_request_the_service_accepts(constraints) -> None:
    upload = Upload.of(noise_png(constraints.image_max_bytes))

    figures = measure_upload_in_process(upload, constraints, repeat=1)

    assert len(upload.png) <= constraints.image_max_bytes
    assert figures.png_bytes == len(upload.png)
    assert figures.body_bytes == len(upload.body_bytes) > len(upload.png)
    assert figures.accept_over_decode is None  # no server was asked


def test_an_upload_the_service_would_refuse_fails_before_any_timing(constraints) -> None:
    too_small = Image.new("RGB", (constraints.image_min_side - 1,) * 2)
    buffer = io.BytesIO()
    too_small.save(buffer, format="PNG")

    with pytest.raises(ValueError, match="invalid"):
        measure_upload_in_process(Upload.of(buffer.getvalue()), constraints, repeat=1)


@pytest.mark.parametrize("factor", [2.0, 3.0, 4.5])
def test_max_area_ratios_follow_the_spec_they_are_given(factor: float) -> None:
    c = ExpandConstraints.from_spec(_spec_with(factor))

    ratios = max_area_ratios(c)

    assert c.area_factor_of(ratios) == factor
    assert c.area_ok(ratios)


def test_a_max_area_beyond_the_ratio_bounds_is_refused() -> None:
    c = ExpandConstraints.from_spec(_spec_with(50.0))

    with pytest.raises(ValueError, match="outside the spec's bounds"):
        max_area_ratios(c)


def test_the_render_source_is_a_valid_image_at_max_area(constraints) -> None:
    source = gradient_png(1024)
    upload = Upload.of(source, max_area_ratios(constraints))

    assert check_expand_request(upload.body, constraints, image=inspect_image(source)) == []
    assert canvas_size(1024, 1024, max_area_ratios(constraints), constraints) == (1024, 3072)


def test_the_example_create_body_is_valid_and_carries_a_url(constraints) -> None:
    body = example_create_body()

    assert check_expand_request(body, constraints) == []
    assert body[constraints.image_field].startswith("https://")


@pytest.mark.parametrize(
    "answer",
    [
        {"code": 1002, "message": "bad key"},
        {"code": 0, "data": {}},
        {"code": 0, "data": {"task_id": ""}},
        ["not", "an", "object"],
    ],
)
def test_an_answer_without_a_task_is_refused(answer) -> None:
    with pytest.raises(ValueError):
        task_id_of(answer)


def _task_app(*, final_status: str | None, image_url: str = "", png: bytes = b"") -> Starlette:
    """A server whose tasks reach ``final_status`` (never, when None) with one image."""

    async def create(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"code": 0, "data": {"task_id": "t1"}})

    async def get_task(request: Request) -> JSONResponse:
        record: dict[str, object] = {"task_id": "t1", "task_status": final_status or "processing"}
        record["task_result"] = {"images": [{"index": 0, "url": image_url}]}
        return JSONResponse({"code": 0, "data": record})

    async def image(request: Request) -> Response:
        return Response(png, media_type="image/png")

    return Starlette(
        routes=[
            Route(CREATE_PATH, create, methods=["POST"]),
            Route(TASK_PATH, get_task, methods=["GET"]),
            Route("/results/t1.png", image),
        ]
    )


def test_accepting_an_upload_is_timed_on_the_live_server(serve_app) -> None:
    upload = Upload.of(gradient_png(400))

    with serve_app(_task_app(final_status=None)) as base_url:
        with httpx.Client(base_url=base_url) as client:
            seconds = measure_upload_http(client, upload, repeat=2)

    assert seconds > 0


def test_a_render_is_timed_to_the_final_status_and_the_downloaded_result(serve_app) -> None:
    port = pick_free_port()
    app = _task_app(
        final_status="succeed",
        image_url=f"http://127.0.0.1:{port}/results/t1.png",
        png=gradient_png(64),
    )
    upload = Upload.of(gradient_png(400))

    with serve_app(app, port=port) as base_url, httpx.Client(base_url=base_url) as client:
        to_final, download, note = measure_mock_render(client, upload, deadline_s=10)

    assert to_final > 0 and download is not None and download > 0
    assert note == ""


def test_a_result_url_off_loopback_is_never_fetched(serve_app) -> None:
    app = _task_app(final_status="succeed", image_url="https://cdn.example.com/t1.png")

    with serve_app(app) as base_url, httpx.Client(base_url=base_url) as client:
        _, download, note = measure_mock_render(client, Upload.of(gradient_png(400)), deadline_s=10)

    assert download is None
    assert "not served on loopback" in note


def test_a_render_that_never_finishes_stops_at_its_deadline(serve_app, fake_clock) -> None:
    clock = fake_clock

    with serve_app(_task_app(final_status=None)) as base_url:
        with httpx.Client(base_url=base_url) as client:
            with pytest.raises(TimeoutError, match="did not finish within 2 s"):
                measure_mock_render(
                    client,
                    Upload.of(gradient_png(400)),
                    deadline_s=2,
                    poll_interval_s=0.5,
                    clock=clock,
                    sleep=clock.sleep,
                )
    assert clock.sleeps == [0.5] * 4
