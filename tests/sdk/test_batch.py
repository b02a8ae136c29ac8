"""Batches: bounded concurrency, a journal, and a rerun that resumes without paying twice."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from kling_expand import BatchItem, Journal

from .conftest import CREATE_URL


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


def test_items_that_share_a_key_are_refused(client, tmp_path):
    with pytest.raises(ValueError, match="key"):
        client.expand_many(["https://img.test/a.jpg", "https://img.test/a.jpg"], out_dir=tmp_path)


def test_the_same_image_asked_for_differently_is_a_new_item(client, service, tmp_path):
    client.expand_many([BatchItem("https://img.test/a.jpg", {"up": 0.2})], out_dir=tmp_path)
    client.expand_many([BatchItem("https://img.test/a.jpg", {"up": 0.3})], out_dir=tmp_path)
    client.expand_many([BatchItem("https://img.test/a.jpg", {"up": 0.2})], out_dir=tmp_path)
    assert [c["up_expansion_ratio"] for c in service.creates] == [0.2, 0.3]
