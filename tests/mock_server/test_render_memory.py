"""Renders share a budget of canvas pixels, and large results render in bounded memory."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import kling_mock._render
import kling_mock._service
from kling_bench._render_memory import max_area_ratios, measure_render_memory
from kling_mock._pixel_budget import PixelBudget
from kling_spec import expanded_canvas

from .conftest import Api, C, b64

MIB = 1024 * 1024
WAIT_SECONDS = 30  # a safety net for a broken budget, never reached when it works


def test_a_render_waits_without_spinning_until_its_pixels_fit() -> None:
    budget = PixelBudget(100)
    entered = threading.Event()

    def second() -> None:
        with budget.reserve(60):
            entered.set()

    with budget.reserve(60):
        waiter = threading.Thread(target=second)
        cpu_before = time.process_time()
        waiter.start()
        assert not entered.wait(0.5)
        cpu_spent = time.process_time() - cpu_before
    assert entered.wait(WAIT_SECONDS)
    waiter.join(WAIT_SECONDS)
    assert cpu_spent < 0.1
    assert budget.in_use == 0


def test_a_render_larger_than_the_whole_budget_still_runs_alone() -> None:
    budget = PixelBudget(100)
    with budget.reserve(10_000):
        assert budget.in_use == budget.capacity


def test_the_default_budget_is_the_largest_canvas_the_spec_allows(make_mock) -> None:
    mock = make_mock()
    largest = int(mock.config.max_source_pixels * C.max_area_factor)
    assert mock.service.render_budget.capacity == largest
    assert make_mock(render_budget_pixels=1234).service.render_budget.capacity == 1234


def test_a_render_budget_below_one_pixel_fails_at_start_up(make_mock) -> None:
    with pytest.raises(ValueError, match="render_budget_pixels"):
        make_mock(render_budget_pixels=0)


def test_renders_whose_canvases_do_not_fit_together_run_one_at_a_time(
    make_mock, make_api, request_body, png, monkeypatch
) -> None:
    up = C.vertical_fields[0]
    width, height = 400, C.image_min_side
    canvas = expanded_canvas(width, height, request_body(**{up: 0.5}), C)
    api: Api = make_api(make_mock(render_budget_pixels=canvas.width * canvas.height))
    ids = [
        api.created(request_body(image=b64(png(width, height, seed=seed)), **{up: 0.5}))["task_id"]
        for seed in range(3)
    ]
    api.mock.advance(3600)
    urls = [api.task(task_id)["task_result"]["images"][0]["url"] for task_id in ids]
    state = {"active": 0, "peak": 0}
    lock = threading.Lock()
    real = kling_mock._render.expand_image

    def holding(*args: Any, **kwargs: Any) -> Any:
        with lock:
            state["active"] += 1
            state["peak"] = max(state["peak"], state["active"])
        time.sleep(0.2)
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                state["active"] -= 1

    monkeypatch.setattr(kling_mock._service, "expand_image", holding)
    with ThreadPoolExecutor(len(urls)) as pool:
        responses = list(pool.map(api.http.get, urls))

    assert [response.status_code for response in responses] == [200] * len(urls)
    assert state["peak"] == 1


def test_large_watermarked_results_downloaded_at_once_render_in_bounded_memory() -> None:
    # A 2048 px source at the largest area, 4 results, all downloaded at once. Before
    # the pixel budget and the in-place render: 754 MiB above the start at the peak,
    # 436 MiB more kept afterwards; now about 145 and none.
    figures = measure_render_memory(2048, 4)

    canvas = expanded_canvas(2048, 2048, max_area_ratios(C), C)
    assert figures.canvas == (canvas.width, canvas.height)
    assert figures.rss_peak_bytes - figures.rss_start_bytes < 400 * MIB
    assert figures.rss_after_bytes - figures.rss_start_bytes < 150 * MIB
