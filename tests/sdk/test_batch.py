"""Batches: bounded concurrency, a journal, and a rerun that resumes without paying twice."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import httpx
import pytest
from PIL import Image

from kling_expand import BatchItem, Journal

from .conftest import API_KEY, CREATE_URL


@pytest.fixture
def service(router, envelope, succeeded, make_image, task_record):
    """A scripted service: create answers a new task id per external id; tasks succeed at once."""

    class Service:
        creates: list[dict] = []
        in_flight = 0
        most_in_flight = 0
        landed: dict[str, str] = {}  # external_task_id -> task_id

        async def create(self, request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content)
            self.creates.append(body)
            task_id = f"t{len(self.creates)}"
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            await asyncio.sleep(0)  # let the other items run up to here
            await asyncio.sleep(0)
            self.in_flight -= 1
            self.landed[body["external_task_id"]] = task_id
            return httpx.Response(200, json=envelope(task_id=task_id))

        def lookup(self, request: httpx.Request) -> httpx.Response:
            wanted = request.url.params["external_task_id"]
            records = [
                task_record(task_id=task_id, task_info={"external_task_id": wanted})
                for external, task_id in self.landed.items()
                if external == wanted
            ]
            return httpx.Response(200, json={"code": 0, "message": "SUCCEED", "data": records})

    svc = Service()
    svc.creates = []
    router.post(CREATE_URL).mock(side_effect=svc.create)
    router.get(CREATE_URL).mock(side_effect=svc.lookup)
    router.get(url__regex=rf"{CREATE_URL}/(?P<task_id>t\d+)$").mock(
        side_effect=lambda request, task_id: httpx.Response(200, json=succeeded(task_id))
    )
    router.get(url__regex=r"https://cdn\.test/.*").mock(
        return_value=httpx.Response(
            200, content=make_image(300, 300), headers={"Content-Type": "image/png"}
        )
    )
    return svc


def items(n: int) -> list[BatchItem]:
    return [BatchItem(f"https://img.test/{i}.jpg", {"up": 0.2}, key=f"item-{i}") for i in range(n)]


def test_a_batch_expands_every_item_with_bounded_concurrency(client, service, tmp_path):
    outcomes = client.expand_many(items(5), out_dir=tmp_path, concurrency=2)
    assert [o.status for o in outcomes] == ["saved"] * 5
    assert len(service.creates) == 5 and service.most_in_flight == 2
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [f"t{i}_0.png" for i in range(1, 6)]
    events = [
        json.loads(line)["event"] for line in (tmp_path / "journal.jsonl").read_text().splitlines()
    ]
    assert events.count("submitting") == events.count("submitted") == events.count("saved") == 5


def test_a_rerun_of_a_finished_batch_sends_nothing(client, service, tmp_path, router):
    client.expand_many(items(3), out_dir=tmp_path)
    calls_before = len(router.calls)
    outcomes = client.expand_many(items(3), out_dir=tmp_path)
    assert [o.status for o in outcomes] == ["saved"] * 3 and all(o.resumed for o in outcomes)
    assert len(router.calls) == calls_before


def test_a_rerun_after_a_crash_resumes_each_item_where_it_stopped(client, service, tmp_path):
    # Given a journal left by a crashed run:
    journal = Journal(tmp_path / "journal.jsonl")
    #   item 0 was submitted (task t-a) but nothing was saved
    service.landed["ext-0"] = "t90"
    journal.record("item-0", "submitting", external_task_id="ext-0")
    journal.record("item-0", "submitted", task_id="t90")
    #   item 1's create landed but the crash came before its answer was written
    service.landed["ext-1"] = "t91"
    journal.record("item-1", "submitting", external_task_id="ext-1")
    #   item 2's create never reached the service
    journal.record("item-2", "submitting", external_task_id="ext-2")
    #   item 3's task failed
    journal.record("item-3", "failed", task_id="t93", error="content policy")
    with (tmp_path / "journal.jsonl").open("a") as torn:  # the crash tore the last line
        torn.write('{"event": "submitted", "key": "torn')
    # When the batch runs again
    outcomes = client.expand_many(items(4), out_dir=tmp_path)
    # Then only item 2 is submitted, with the external id it was given the first time
    assert [c["external_task_id"] for c in service.creates] == ["ext-2"]
    assert [o.task_id for o in outcomes] == ["t90", "t91", "t1", "t93"]
    assert [o.status for o in outcomes] == ["saved", "saved", "saved", "failed"]
    assert (tmp_path / "t90_0.png").is_file() and (tmp_path / "t91_0.png").is_file()


def test_a_rerun_downloads_only_the_missing_files(client, service, tmp_path, router):
    client.expand_many(items(2), out_dir=tmp_path)
    (tmp_path / "t1_0.png").unlink()
    outcomes = client.expand_many(items(2), out_dir=tmp_path)
    assert [o.status for o in outcomes] == ["saved", "saved"]
    assert (tmp_path / "t1_0.png").is_file()
    assert len(service.creates) == 2


def test_one_bad_item_does_not_stop_the_others(client, service, tmp_path):
    batch = [*items(2), BatchItem("https://img.test/x.jpg", {"up": 5}, key="bad")]
    outcomes = client.expand_many(batch, out_dir=tmp_path)
    assert [o.status for o in outcomes] == ["saved", "saved", "failed"]
    assert "up_expansion_ratio" in outcomes[2].error


def test_a_batch_sends_the_headers_the_client_was_given_with_options(
    client, service, router, tmp_path
):
    traced = client.with_options(extra_headers={"X-Trace": "batch-1"})
    outcomes = traced.expand_many(items(2), out_dir=tmp_path)
    assert [o.status for o in outcomes] == ["saved", "saved"]
    api = [call.request for call in router.calls if call.request.url.host == "kling.test"]
    assert len(api) >= 4, "two creates and two polls at least"
    assert all(request.headers.get("X-Trace") == "batch-1" for request in api)


def one_task_service(envelope, succeeded, make_image, seen: list[httpx.Request]):
    """A handler for a service whose one task, t1, has succeeded; it keeps every request."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(200, json=envelope(task_id="t1"))
        if request.url.host == "cdn.test":
            return httpx.Response(
                200, content=make_image(300, 300), headers={"Content-Type": "image/png"}
            )
        return httpx.Response(200, json=succeeded("t1"))

    return handler


class Signed(httpx.Auth):
    """The caller's own auth: a header of its own on every request."""

    def auth_flow(self, request: httpx.Request):
        request.headers["X-Signed"] = "yes"
        yield request


def test_a_batch_goes_through_the_callers_own_httpx_client(
    make_client, make_http, envelope, succeeded, make_image, tmp_path
):
    # Given an httpx client of the caller's with its own headers and auth
    seen: list[httpx.Request] = []
    handler = one_task_service(envelope, succeeded, make_image, seen)
    http = make_http(
        transport=httpx.MockTransport(handler), headers={"X-Proxy-Token": "p1"}, auth=Signed()
    )
    client = make_client(http_client=http)
    # When a batch runs on it
    outcomes = client.expand_many(["https://img.test/a.jpg"], out_dir=tmp_path)
    # Then every request of the batch went through that client, with its settings
    assert [o.status for o in outcomes] == ["saved"]
    assert [r.method for r in seen] == ["POST", "GET", "GET"]
    assert all(r.headers["X-Proxy-Token"] == "p1" and r.headers["X-Signed"] for r in seen)


SPELLINGS = {
    "relative-then-absolute": ("photo.png", "{folder}/photo.png"),
    "dot-slash-then-bare": ("./photo.png", "photo.png"),
    "path-object-then-text": (Path("photo.png"), "{folder}/./photo.png"),
    "symlink-then-file": ("link.png", "photo.png"),
    "capital-scheme-then-lower": ("HTTPS://img.test/a.jpg", "https://img.test/a.jpg"),
}


@pytest.mark.parametrize(("first", "then"), SPELLINGS.values(), ids=SPELLINGS.keys())
def test_the_same_image_spelled_another_way_is_the_same_item_and_not_paid_twice(
    client, service, tmp_path, monkeypatch, make_image, first, then
):
    # Given an image file (and a link to it) in the folder the batch is run from
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photo.png").write_bytes(make_image(400, 300))
    (tmp_path / "link.png").symlink_to(tmp_path / "photo.png")
    out = tmp_path / "out"
    spelled = then.format(folder=tmp_path) if isinstance(then, str) else then
    # When a batch runs on one spelling of it, and again on another
    client.expand_many([BatchItem(first, {"up": 0.2})], out_dir=out)
    (again,) = client.expand_many([BatchItem(spelled, {"up": 0.2})], out_dir=out)
    # Then the rerun resumes the item the first run saved instead of creating it again
    assert len(service.creates) == 1
    assert (again.status, again.resumed, again.task_id) == ("saved", True, "t1")


def test_a_pil_image_is_keyed_on_its_pixels(client, service, tmp_path, make_image):
    def pil():
        return Image.open(io.BytesIO(make_image(400, 300)))

    client.expand_many([pil()], out_dir=tmp_path)
    (again,) = client.expand_many([pil()], out_dir=tmp_path)
    other = Image.new("RGB", (400, 300), "white")
    client.expand_many([other], out_dir=tmp_path)
    assert again.resumed and len(service.creates) == 2


def test_a_journal_keyed_the_old_way_still_resumes_its_items(
    client, service, tmp_path, monkeypatch, make_image
):
    # Given a journal from before keys were resolved: a relative path, keyed as spelled
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photo.png").write_bytes(make_image(400, 300))
    item = BatchItem("photo.png", {"up": 0.2})
    old_key = f"photo.png#{item.identity().rpartition('#')[2]}"
    journal = Journal(tmp_path / "out" / "journal.jsonl")
    journal.record(old_key, "submitting", external_task_id="ext-0")
    journal.record(old_key, "submitted", task_id="t90")
    # When the same batch is run again, spelled the same way
    (outcome,) = client.expand_many([item], out_dir=tmp_path / "out")
    # Then the task the old run created is waited for and saved, not created again
    assert service.creates == []
    assert (outcome.status, outcome.task_id, outcome.resumed) == ("saved", "t90", True)
    assert (tmp_path / "out" / "t90_0.png").is_file()


def test_two_spellings_of_one_image_in_one_batch_are_refused_as_one_item(
    client, tmp_path, monkeypatch, make_image
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photo.png").write_bytes(make_image(400, 300))
    with pytest.raises(ValueError, match="same image"):
        client.expand_many(["photo.png", str(tmp_path / "photo.png")], out_dir=tmp_path)


def test_items_that_share_a_key_are_refused(client, tmp_path):
    with pytest.raises(ValueError, match="key"):
        client.expand_many(["https://img.test/a.jpg", "https://img.test/a.jpg"], out_dir=tmp_path)


def test_the_same_image_asked_for_differently_is_a_new_item(client, service, tmp_path):
    client.expand_many([BatchItem("https://img.test/a.jpg", {"up": 0.2})], out_dir=tmp_path)
    client.expand_many([BatchItem("https://img.test/a.jpg", {"up": 0.3})], out_dir=tmp_path)
    client.expand_many([BatchItem("https://img.test/a.jpg", {"up": 0.2})], out_dir=tmp_path)
    assert [c["up_expansion_ratio"] for c in service.creates] == [0.2, 0.3]


def test_a_blocking_client_with_a_sync_only_transport_batches_over_that_transport(
    envelope, succeeded, make_image, tmp_path
):
    from kling_expand import KlingExpand

    from .conftest import API_KEY, BASE_URL

    seen: list[httpx.Request] = []
    handler = one_task_service(envelope, succeeded, make_image, seen)

    class SyncOnly(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.MockTransport(handler).handle_request(request)

    with KlingExpand(api_key=API_KEY, base_url=BASE_URL, transport=SyncOnly()) as client:
        outcomes = client.expand_many(["https://img.test/a.jpg"], out_dir=tmp_path)
    assert [o.status for o in outcomes] == ["saved"]
    assert (seen[0].method, seen[0].url.path) == ("POST", "/kling/v1/images/editing/expand")


@pytest.mark.asyncio
async def test_the_blocking_batch_refuses_to_run_inside_an_event_loop(tmp_path):
    from kling_expand import KlingExpand

    from .conftest import API_KEY, BASE_URL

    with KlingExpand(api_key=API_KEY, base_url=BASE_URL) as client:
        with pytest.raises(RuntimeError, match="AsyncKlingExpand"):
            client.expand_many(["https://img.test/a.jpg"], out_dir=tmp_path)


def test_an_unresolved_item_whose_lookup_fails_is_not_resubmitted(client, router, tmp_path):
    # Given a crashed run that was about to create item 0
    Journal(tmp_path / "journal.jsonl").record("item-0", "submitting", external_task_id="ext-0")
    create = router.post(CREATE_URL)
    router.get(CREATE_URL).respond(401, json={"code": 1002, "message": "bad key"})
    # When the lookup that would tell whether it landed fails
    outcomes = client.expand_many(items(1), out_dir=tmp_path)
    # Then nothing is sent and the item stays open for the next run
    assert not create.called
    assert outcomes[0].status == "error"
    assert Journal(tmp_path / "journal.jsonl").entries["item-0"].failed is None


def test_a_resumed_item_that_landed_after_its_lookup_is_found_not_failed(
    client, router, envelope, task_record, tmp_path
):
    # Given a crashed run that was submitting item 0, whose create lands only later
    Journal(tmp_path / "journal.jsonl").record("item-0", "submitting", external_task_id="ext-0")
    landed = task_record(
        task_id="t5", task_status="succeed", task_info={"external_task_id": "ext-0"}
    )
    router.get(CREATE_URL).mock(
        side_effect=[
            httpx.Response(200, json={"code": 0, "message": "SUCCEED", "data": []}),
            httpx.Response(200, json={"code": 0, "message": "SUCCEED", "data": [landed]}),
        ]
    )
    create = router.post(CREATE_URL).respond(
        400, json={"code": 1201, "message": "external_task_id already used"}
    )
    router.get(f"{CREATE_URL}/t5").respond(json=envelope(**landed))
    # When the batch resumes: lookup says absent, the resend is refused as a duplicate
    outcomes = client.expand_many(items(1), out_dir=tmp_path)
    # Then the SDK finds the task the first run created instead of marking the item failed
    assert create.call_count == 1
    assert (outcomes[0].status, outcomes[0].task_id) == ("saved", "t5")


def test_a_file_replaced_by_another_picture_is_expanded_again(
    client, service, tmp_path, make_image
):
    photo = tmp_path / "photo.png"
    photo.write_bytes(make_image(400, 300))
    out = tmp_path / "out"
    client.expand_many([BatchItem(photo, {"up": 0.2})], out_dir=out)
    photo.write_bytes(make_image(300, 400))
    (again,) = client.expand_many([BatchItem(photo, {"up": 0.2})], out_dir=out)
    assert len(service.creates) == 2
    assert (again.status, again.resumed) == ("saved", False)


@pytest.mark.parametrize("other", [{"api_key": "sk-other"}])
def test_a_journal_from_another_account_is_not_resumed(make_client, service, tmp_path, other):
    client = make_client()
    client.expand_many(items(1), out_dir=tmp_path)
    journal = (tmp_path / "journal.jsonl").read_text()
    assert API_KEY not in journal
    other_client = make_client(**other)
    entry = Journal(tmp_path / "journal.jsonl").entries["item-0"]
    # When the same batch runs through a client for another service or account
    outcomes = other_client.expand_many(items(1), out_dir=tmp_path)
    # Then the item is expanded again, not taken from the journal
    assert entry.scope is not None
    assert not outcomes[0].resumed
    assert len(service.creates) == 2
