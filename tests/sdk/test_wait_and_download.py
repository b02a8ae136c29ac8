"""Waiting with a real deadline, and downloading results safely."""

from __future__ import annotations

import math

import httpx
import pytest

from kling_expand import (
    APIConnectionError,
    APITimeoutError,
    DownloadError,
    InputValidationError,
    PollPolicy,
    RequestOptions,
    RetryPolicy,
    ServerError,
    TaskFailedError,
    WaitTimeoutError,
)

from .conftest import CREATE_URL

TASK_URL = f"{CREATE_URL}/t1"


def statuses(envelope, *names: str, final=None) -> list[httpx.Response]:
    answers = [httpx.Response(200, json=envelope(task_id="t1", task_status=n)) for n in names]
    if final is not None:
        answers.append(httpx.Response(200, json=final))
    return answers


def test_wait_polls_with_growing_gaps_until_the_task_succeeds(
    client, router, clock, envelope, succeeded
):
    route = router.get(TASK_URL).mock(
        side_effect=statuses(
            envelope, "submitted", "processing", "processing", final=succeeded("t1", n=2)
        )
    )
    seen = []
    task = client.wait("t1", poll_interval=2.0, on_progress=lambda t: seen.append(t.status_text))
    assert task.succeeded and [i.index for i in task.images] == [0, 1]
    assert route.call_count == 4
    assert clock.sleeps == [2.0, 3.0, 4.5]
    assert seen == ["submitted", "processing", "processing", "succeed"]


def test_poll_gaps_stop_growing_at_the_policy_maximum(
    make_client, router, clock, envelope, succeeded
):
    client = make_client(poll_policy=PollPolicy(interval=10, max_interval=20, multiplier=3))
    router.get(TASK_URL).mock(
        side_effect=statuses(envelope, *["processing"] * 4, final=succeeded("t1"))
    )
    client.wait("t1")
    assert clock.sleeps == [10, 20, 20, 20]


def test_wait_raises_a_timeout_carrying_the_task_id_at_the_deadline(
    client, router, clock, envelope
):
    start = clock.now
    router.get(TASK_URL).mock(
        return_value=httpx.Response(200, json=envelope(task_id="t1", task_status="processing"))
    )
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait("t1", timeout=10, poll_interval=4)
    assert caught.value.task_id == "t1" and caught.value.last_status == "processing"
    assert isinstance(caught.value, TimeoutError)
    # the last gap is cut short so the wait ends on the deadline, not after it
    assert clock.sleeps == [4, 6] and clock.now - start == 10


BAD_WAITS = {
    "interval-0": ({"poll_interval": 0}, "poll_interval"),
    "interval-negative": ({"poll_interval": -1}, "poll_interval"),
    "interval-nan": ({"poll_interval": math.nan}, "poll_interval"),
    "interval-infinite": ({"poll_interval": math.inf}, "poll_interval"),
    "timeout-negative": ({"timeout": -5}, "timeout"),
    "timeout-nan": ({"timeout": math.nan}, "timeout"),
}


@pytest.mark.parametrize(("wait", "field"), BAD_WAITS.values(), ids=BAD_WAITS.keys())
def test_expand_refuses_a_wait_it_cannot_honour_before_the_paid_create(client, router, wait, field):
    create = router.post(CREATE_URL)
    with pytest.raises(InputValidationError) as caught:
        client.expand("https://img.test/a.jpg", up=0.2, **wait)
    assert caught.value.field == field and repr(wait[field]) in str(caught.value)
    assert not router.calls and not create.called


@pytest.mark.parametrize(("wait", "field"), BAD_WAITS.values(), ids=BAD_WAITS.keys())
def test_a_batch_refuses_a_wait_it_cannot_honour_before_anything_is_sent(
    client, router, tmp_path, wait, field
):
    with pytest.raises(InputValidationError) as caught:
        client.expand_many(["https://img.test/a.jpg"], out_dir=tmp_path, **wait)
    assert caught.value.field == field
    assert not router.calls and not (tmp_path / "journal.jsonl").exists()


def test_a_failed_task_raises_with_the_services_reason(client, router, envelope):
    router.get(TASK_URL).mock(
        return_value=httpx.Response(
            200, json=envelope(task_id="t1", task_status="failed", task_status_msg="content policy")
        )
    )
    with pytest.raises(TaskFailedError, match="content policy") as caught:
        client.wait("t1")
    assert caught.value.task_id == "t1" and caught.value.request_id == "req-1"


def test_a_status_the_spec_does_not_know_counts_as_still_running(
    client, router, clock, envelope, succeeded
):
    router.get(TASK_URL).mock(
        side_effect=statuses(envelope, "queued_for_gpu", final=succeeded("t1"))
    )
    assert client.wait("t1", poll_interval=1).succeeded
    assert clock.sleeps == [1]


def test_a_passing_error_while_polling_is_retried_not_fatal(client, router, envelope, succeeded):
    router.get(TASK_URL).mock(
        side_effect=[
            httpx.Response(503, json={"code": 5001, "message": "maintenance"}),
            httpx.Response(200, json=succeeded("t1")),
        ]
    )
    assert client.wait("t1").succeeded


def test_expand_submits_waits_and_saves_every_image(
    client, router, envelope, succeeded, make_image, tmp_path
):
    router.post(CREATE_URL).respond(json=envelope(task_id="t1"))
    router.get(TASK_URL).mock(
        side_effect=statuses(envelope, "processing", final=succeeded("t1", n=2))
    )
    for i in range(2):
        router.get(f"https://cdn.test/t1/{i}.png").respond(
            content=make_image(400 + i, 300), headers={"Content-Type": "image/png"}
        )
    result = client.expand(make_image(320, 320), up=0.5, down=0.5, timeout=60, poll_interval=1)
    saved = result.save(tmp_path / "out")
    assert [s.path.name for s in saved] == ["t1_0.png", "t1_1.png"]
    assert saved[1].path.read_bytes() == make_image(401, 300)
    assert (
        saved[0].content_type == "image/png" and saved[0].size_bytes == saved[0].path.stat().st_size
    )
    assert not list((tmp_path / "out").glob("*.part")), "no temporary file is left behind"
    assert result.fetch()[0] == make_image(400, 300)


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(200, text="<html>", headers={"Content-Type": "text/html"}), "text/html"),
        (
            httpx.Response(
                200, content=b"\x89PNG-not-really", headers={"Content-Type": "image/jpeg"}
            ),
            "says image/jpeg",
        ),
        (httpx.Response(404, text="gone"), "HTTP 404"),
    ],
    ids=["html", "lying-type", "expired"],
)
def test_a_download_that_is_not_the_image_promised_raises(
    client, router, succeeded, tmp_path, response, message
):
    router.get(TASK_URL).respond(json=succeeded("t1"))
    router.get("https://cdn.test/t1/0.png").mock(return_value=response)
    with pytest.raises(DownloadError, match=message):
        client.download(client.get("t1"), tmp_path)
    assert list(tmp_path.iterdir()) == [], "nothing half-written is left"


@pytest.mark.parametrize(("status", "asked"), [(503, "7"), (429, "4")])
def test_a_download_retry_waits_as_long_as_the_image_host_asks(
    client, router, clock, succeeded, tmp_path, make_image, status, asked
):
    # Given an image host that is busy once and says when to come back
    router.get(TASK_URL).respond(json=succeeded("t1"))
    image = router.get("https://cdn.test/t1/0.png").mock(
        side_effect=[
            httpx.Response(status, text="busy", headers={"Retry-After": asked}),
            httpx.Response(
                200, content=make_image(300, 300), headers={"Content-Type": "image/png"}
            ),
        ]
    )
    # When the task's images are saved
    (saved,) = client.download(client.get("t1"), tmp_path)
    # Then the retry came after the wait the host asked for, not the policy's backoff
    assert image.call_count == 2 and saved.path.is_file()
    assert clock.sleeps == [float(asked)]


@pytest.mark.parametrize(
    ("failure", "status", "cause"),
    [
        (httpx.Response(503, text="busy"), 503, ServerError),
        (httpx.ConnectError("refused"), None, APIConnectionError),
    ],
    ids=["keeps-503", "no-answer"],
)
def test_a_download_that_keeps_failing_is_a_download_error_after_the_retries(
    client, router, clock, succeeded, tmp_path, failure, status, cause
):
    router.get(TASK_URL).respond(json=succeeded("t1"))
    image = router.get("https://cdn.test/t1/0.png").mock(side_effect=failure)
    with pytest.raises(DownloadError) as caught:
        client.download(client.get("t1"), tmp_path)
    assert image.call_count == 1 + RetryPolicy().max_retries
    assert caught.value.url == "https://cdn.test/t1/0.png"
    assert caught.value.status_code == status
    assert isinstance(caught.value.__cause__, cause)
    assert list(tmp_path.iterdir()) == []


def test_a_download_over_the_size_limit_stops_reading_and_raises(
    make_client, router, succeeded, tmp_path, make_image
):
    client = make_client(download_max_bytes=1000)
    router.get(TASK_URL).respond(json=succeeded("t1"))
    router.get("https://cdn.test/t1/0.png").respond(
        content=make_image(400, 400), headers={"Content-Type": "image/png"}
    )
    with pytest.raises(DownloadError, match="larger than 1000 bytes"):
        client.download(client.get("t1"), tmp_path)


def test_an_outage_past_the_deadline_ends_the_wait_with_a_timeout_carrying_the_task_id(
    client, router, clock, envelope
):
    # Given a task still processing, then an outage that asks for more than the time left
    start = clock.now
    outage = httpx.Response(
        503, json={"code": 5001, "message": "maintenance"}, headers={"Retry-After": "50"}
    )
    router.get(TASK_URL).mock(
        side_effect=[
            httpx.Response(200, json=envelope(task_id="t1", task_status="processing")),
            outage,
        ]
    )
    # When the wait runs into it
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait("t1", timeout=30, poll_interval=10)
    # Then the retry's wait is cut to the deadline, and the timeout names the task
    # and carries the outage as its cause
    assert clock.sleeps == [10, 20] and clock.now - start == 30
    assert caught.value.task_id == "t1" and caught.value.last_status == "processing"
    assert isinstance(caught.value.__cause__, ServerError)


def test_each_poll_may_take_only_the_time_left_before_the_deadline(client, router, clock, envelope):
    route = router.get(TASK_URL).mock(
        return_value=httpx.Response(200, json=envelope(task_id="t1", task_status="processing"))
    )
    with pytest.raises(WaitTimeoutError):
        client.wait("t1", timeout=17, poll_interval=10, options=RequestOptions(timeout=12))
    # polls at 0 s (12 s allowed, the call's own timeout) and at 10 s (7 s left)
    timeouts = [call.request.extensions["timeout"] for call in route.calls]
    assert [t["read"] for t in timeouts] == [12, 7]
    assert all(t["connect"] <= t["read"] for t in timeouts)


def test_a_hanging_server_cannot_hold_a_wait_past_its_deadline(client, router, clock, envelope):
    # Given a server that answers once, then hangs until each request's read timeout
    start = clock.now

    def hang(request: httpx.Request) -> httpx.Response:
        clock.now += request.extensions["timeout"]["read"]
        raise httpx.ReadTimeout("no answer", request=request)

    router.get(TASK_URL).mock(
        side_effect=[
            httpx.Response(200, json=envelope(task_id="t1", task_status="processing")),
            hang,
        ]
    )
    # When a 30 s wait polls it
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait("t1", timeout=30, poll_interval=10)
    # Then the wait ends on its deadline, not a full request timeout later
    assert clock.now - start == 30
    assert isinstance(caught.value.__cause__, APITimeoutError)


def test_no_log_line_carries_the_key(make_client, router, envelope, caplog):
    import logging

    from .conftest import API_KEY

    client = make_client()
    router.get(TASK_URL).mock(
        side_effect=[httpx.ConnectError(f"boom {API_KEY}"), httpx.Response(200, json=envelope())]
    )
    with caplog.at_level(logging.DEBUG):
        client.get("t1")
    assert caplog.records, "the retry was logged"
    assert API_KEY not in caplog.text


def test_saved_files_get_the_ordinary_permissions_of_a_new_file(tmp_path):
    import os

    from kling_expand._downloads import write_atomically

    path = write_atomically(tmp_path, "a.png", b"data")
    mask = os.umask(0o022)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_task_id_from_the_server_cannot_write_outside_the_folder(
    client, router, succeeded, make_image, tmp_path
):
    # Given a server whose task record carries a path as its task id
    record = succeeded("t1", n=1)
    record["data"]["task_id"] = "../../escaped"
    router.get(TASK_URL).respond(json=record)
    router.get("https://cdn.test/t1/0.png").respond(
        content=make_image(400, 300), headers={"Content-Type": "image/png"}
    )
    out = tmp_path / "deep" / "out"

    # When its images are saved
    (saved,) = client.download(client.get("t1"), out)

    # Then the file lands inside the folder, under a name with the path defused
    assert saved.path.parent == out
    assert saved.path.name == "______escaped_0.png"
    assert not list(tmp_path.glob("*.png")) and not list((tmp_path / "deep").glob("*.png"))
