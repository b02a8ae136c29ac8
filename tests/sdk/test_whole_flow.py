"""Whole flows against the offline mock server, in process, sync and async alike.

The SDK's clock drives the mock's: every wait the SDK makes moves the mock's
time forward instead of sleeping, so tasks progress and nothing is timed.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from kling_expand import (
    AsyncKlingExpand,
    KlingExpand,
    PolicyError,
    RateLimitError,
    Ratios,
    TaskFailedError,
    canvas_geometry,
)

from .conftest import AsyncFacade, SyncFacade

kling_mock = pytest.importorskip("kling_mock")
if not hasattr(kling_mock, "MockKling"):
    pytest.skip("the mock server is not part of this build yet", allow_module_level=True)

CREATE_PATH = "/kling/v1/images/editing/expand"


class MockDrivenClock:
    """The SDK's clock, reading and moving the mock's frozen clock."""

    def __init__(self, mock: Any) -> None:
        self.mock = mock
        self.slept = 0.0

    def monotonic(self) -> float:
        return float(self.mock.clock.now())

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.mock.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        self.slept += seconds
        await self.mock.advance_async(seconds)


class LoseAnswers(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Passes requests on, but loses the answer to the first ``count`` creates.

    The service did the work; the client only sees a read timeout, exactly the
    case where a blind resend would pay twice.
    """

    def __init__(self, inner: Any, count: int = 1) -> None:
        self.inner = inner
        self.count = count

    def _lose(self, request: httpx.Request) -> bool:
        if request.method == "POST" and self.count > 0:
            self.count -= 1
            return True
        return False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self._lose(request):
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self._lose(request):
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


@pytest.fixture
def mock() -> Any:
    return kling_mock.MockKling(kling_mock.MockConfig(submitted_seconds=2, processing_seconds=5))


@pytest.fixture
def flow_client(client_kind: str, mock: Any) -> Iterator[Any]:
    """A sync or async SDK client wired to the mock in process, with the mock's clock."""
    clock = MockDrivenClock(mock)
    options: dict[str, Any] = {
        "api_key": kling_mock.DEFAULT_DEV_KEY,
        "base_url": "http://kling-mock.local",
        "clock": clock,
        "rand": lambda: 0.0,
    }
    if client_kind == "sync":
        http = mock.client(api_key=None)
        client = KlingExpand(http_client=http, **options)
        yield SyncFacade(client)
        http.close()
        return
    runner = asyncio.Runner()
    http = mock.async_client(api_key=None)
    async_client = AsyncKlingExpand(http_client=http, **options)
    yield AsyncFacade(async_client, runner)
    runner.run(http.aclose())
    runner.close()


def tasks_created(mock: Any) -> int:
    return sum(1 for entry in mock.journal if entry.method == "POST" and entry.path == CREATE_PATH)


def test_expand_saves_images_of_the_expanded_canvas(flow_client, make_image, tmp_path):
    ratios = Ratios(up=0.25, down=0.25, left=0.5, right=0.5)
    result = flow_client.expand(make_image(400, 320), ratios=ratios, n=2, poll_interval=1)
    saved = result.save(tmp_path)
    assert [s.index for s in saved] == [0, 1]
    expected = canvas_geometry(400, 320, ratios)[:2]
    for item in saved:
        with Image.open(item.path) as image:
            assert image.size == expected


def test_progress_is_reported_through_every_status(flow_client, make_image):
    seen: list[str] = []
    task = flow_client.submit(make_image(), up=0.5)
    flow_client.wait(task.id, poll_interval=1, on_progress=lambda t: seen.append(t.status_text))
    assert seen[0] == "submitted" and seen[-1] == "succeed" and "processing" in seen


def test_a_lookup_by_external_id_and_the_listing_find_the_task(flow_client, make_image):
    task = flow_client.submit(make_image(), left=0.3, external_task_id="order-77")
    assert flow_client.get_by_external_id("order-77").id == task.id
    assert task.id in [t.id for t in flow_client.list()]


def test_passing_refusals_are_retried_through_to_exactly_one_task(flow_client, mock, make_image):
    mock.fail_next("rate_limited", times=2)
    task = flow_client.submit(make_image(), up=0.2)
    assert [t.id for t in flow_client.list()] == [task.id]


def test_a_create_refused_by_a_500_is_resent_once_and_makes_one_task(flow_client, mock, make_image):
    mock.fail_next("server_error")
    flow_client.submit(make_image(), up=0.2)
    listed = flow_client.list()
    assert len(listed) == 1


def test_a_task_whose_answer_was_lost_is_found_not_created_again(client_kind, mock, make_image):
    # Given a connection that loses the answer to the first create
    clock = MockDrivenClock(mock)
    options = {
        "api_key": kling_mock.DEFAULT_DEV_KEY,
        "base_url": "http://kling-mock.local",
        "clock": clock,
        "rand": lambda: 0.0,
    }
    if client_kind == "sync":
        with mock.client(api_key=None) as http:
            inner = http._transport  # the mock's in-process transport
            with KlingExpand(transport=LoseAnswers(inner), **options) as client:
                task = client.submit(make_image(), up=0.4, external_task_id="once")
                listed = list(client.list())
    else:

        async def run() -> tuple[Any, list[Any]]:
            inner = httpx.ASGITransport(app=mock.app)
            async with AsyncKlingExpand(transport=LoseAnswers(inner), **options) as client:
                created = await client.submit(make_image(), up=0.4, external_task_id="once")
                return created, [t async for t in client.list()]

        task, listed = asyncio.run(run())
    # Then the one task the service made is the one returned, and no other exists
    assert [t.id for t in listed] == [task.id]


def test_a_task_that_fails_raises_with_the_reason(flow_client, mock, make_image):
    mock.fail_next("task_fails")
    with pytest.raises(TaskFailedError) as caught:
        flow_client.expand(make_image(), up=0.3, poll_interval=1)
    assert caught.value.reason


def test_a_policy_block_is_a_policy_error(flow_client, mock, make_image):
    mock.fail_next("policy_block")
    with pytest.raises(PolicyError):
        flow_client.submit(make_image(), up=0.3)


def test_a_rate_limit_that_persists_is_raised_after_the_retries(flow_client, mock, make_image):
    mock.fail_next("concurrency_limited", times=10)
    with pytest.raises(RateLimitError) as caught:
        flow_client.submit(make_image(), up=0.3)
    assert caught.value.code == 1303


def test_a_batch_against_the_mock_saves_everything_and_resumes_for_free(
    flow_client, mock, make_image, tmp_path
):
    images = [make_image(320 + i, 320) for i in range(3)]
    first = flow_client.expand_many(images, out_dir=tmp_path, concurrency=2, poll_interval=1)
    assert [o.status for o in first] == ["saved"] * 3
    created = tasks_created(mock)
    again = flow_client.expand_many(images, out_dir=tmp_path, concurrency=2, poll_interval=1)
    assert all(o.resumed for o in again) and tasks_created(mock) == created
    lines = (tmp_path / "journal.jsonl").read_text().splitlines()
    assert sum(json.loads(line)["event"] == "saved" for line in lines) == 3


def test_a_batch_rerun_on_the_absolute_path_of_a_relative_one_creates_nothing(
    flow_client, mock, make_image, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photo.png").write_bytes(make_image(400, 320))
    first = flow_client.expand_many(["./photo.png"], out_dir="out", poll_interval=1)
    created = tasks_created(mock)
    again = flow_client.expand_many(
        [str(tmp_path / "photo.png")], out_dir=tmp_path / "out", poll_interval=1
    )
    assert [o.status for o in first] == ["saved"] and again[0].resumed
    assert tasks_created(mock) == created == 1


def test_the_command_line_runs_against_the_mock_over_real_http(tmp_path):
    from kling_expand._cli import main
    from kling_expand._sample import sample_photo_path

    live = kling_mock.MockKling(
        kling_mock.MockConfig(clock_frozen=False, submitted_seconds=0, processing_seconds=0)
    )
    out = io.StringIO()
    with live.serve() as server:
        status = main(
            ["--base-url", server.base_url, "run", str(sample_photo_path()), "--all", "0.2",
             "--out", str(tmp_path), "--poll-interval", "0.05", "--compare"],
            stdout=out,
            stderr=io.StringIO(),
            environ={"COMETAPI_KEY": kling_mock.DEFAULT_DEV_KEY},
        )  # fmt: skip
    assert status == 0
    saved, sheet = out.getvalue().split()
    assert saved.endswith("_0.png") or saved.endswith("_0.jpg")
    assert sheet.endswith("sample_before_after.png")


def test_the_mocks_signed_callbacks_verify_and_parse_with_the_sdk(make_image):
    import base64

    from kling_expand import verify_callback

    secret = "whsec_" + base64.b64encode(b"callbacks-for-the-sdk-0123456789").decode()
    received: list[httpx.Request] = []
    mock = kling_mock.MockKling(
        kling_mock.MockConfig(submitted_seconds=1, processing_seconds=2, callback_secret=secret),
        callback_transport=httpx.MockTransport(received_ok(received)),
    )
    with mock.client(api_key=None) as http:
        client = KlingExpand(
            api_key=kling_mock.DEFAULT_DEV_KEY,
            base_url="http://kling-mock.local",
            http_client=http,
            clock=MockDrivenClock(mock),
        )
        hook = "http://127.0.0.1:9/hooks/kling"
        task = client.submit(make_image(), up=0.3, callback_url=hook)
        client.wait(task.id, poll_interval=1)
        mock.advance(5)
    reported = [verify_callback(r.content, dict(r.headers), secret) for r in received]
    assert {t.id for t in reported} == {task.id}
    assert reported[-1].succeeded and reported[-1].images


def received_ok(received: list[httpx.Request]):
    """A handler that keeps each request and answers 200."""

    def answer(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    return answer


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_expand_with_1_s_and_3_s_of_server_time_returns_without_real_sleeping(kind, make_image):
    import time

    # Given the mock with the default durations (1 s submitted, 3 s processing),
    # frozen, and an SDK whose every wait goes through the mock-driven clock
    mock = kling_mock.MockKling(kling_mock.MockConfig(submitted_seconds=1, processing_seconds=3))
    clock = MockDrivenClock(mock)
    options: dict[str, Any] = {"base_url": "http://kling-mock.local", "clock": clock}
    started = time.perf_counter()
    if kind == "sync":
        with mock.client() as http, KlingExpand(http_client=http, **options) as client:
            result = client.expand(make_image(400, 320), ratios=Ratios.all(0.2))
    else:

        async def run() -> Any:
            async with mock.async_client() as http:
                async with AsyncKlingExpand(http_client=http, **options) as client:
                    return await client.expand(make_image(400, 320), ratios=Ratios.all(0.2))

        result = asyncio.run(run())
    elapsed = time.perf_counter() - started
    # Then it finished, the mock's clock moved as far as the SDK waited, with no real sleep
    assert result.task.status_text == "succeed"
    assert clock.slept >= 4
    assert float(mock.clock.now()) >= 4
    assert elapsed < 2.0
