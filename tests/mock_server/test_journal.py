"""The journal shows what each client sent, with keys redacted; reset forgets everything."""

from kling_mock import ADMIN_PREFIX, DEFAULT_DEV_KEY

from .conftest import AUTH, Api, b64


def test_the_journal_records_each_api_request_with_its_answer(api: Api, request_body) -> None:
    api.create(request_body(n=2))
    api.get("missing")

    created, missing = api.mock.journal

    assert (created.method, created.path, created.status, created.code) == (
        "POST",
        "/kling/v1/images/editing/expand",
        200,
        0,
    )
    assert created.body["n"] == 2
    assert created.account == "dev"
    assert (missing.status, missing.code) == (404, 1203)


def test_keys_are_redacted(api: Api) -> None:
    api.list()

    (entry,) = api.mock.journal

    assert DEFAULT_DEV_KEY not in str(entry.as_dict())
    assert entry.headers["authorization"].startswith("Bearer ***")


def test_large_images_are_summarised_not_stored(api: Api, request_body, png) -> None:
    image = b64(png(600, 600))
    api.create(request_body(image=image))

    (entry,) = api.mock.journal

    assert len(str(entry.body)) < 1000
    assert f"({len(image)} chars)" in entry.body["image"]


def test_a_malformed_body_is_journaled_as_sent(api: Api) -> None:
    api.http.post(
        "/kling/v1/images/editing/expand",
        content=b"{broken",
        headers={**AUTH, "Content-Type": "application/json"},
    )

    (entry,) = api.mock.journal

    assert (entry.status, entry.code, entry.body) == (400, 1200, {"raw": "{broken"})


def test_the_admin_api_serves_and_clears_the_journal(api: Api) -> None:
    api.list(pageSize=5)

    entries = api.http.get(f"{ADMIN_PREFIX}/journal").json()["entries"]
    api.http.delete(f"{ADMIN_PREFIX}/journal")

    assert [entry["query"] for entry in entries] == ["pageSize=5"]
    assert api.mock.journal == []


def test_admin_calls_are_not_journaled(api: Api) -> None:
    api.http.get(f"{ADMIN_PREFIX}/clock")
    api.http.get("/openapi.json")

    assert api.mock.journal == []


def test_reset_forgets_tasks_journal_and_faults(api: Api, request_body) -> None:
    task_id = api.created(request_body())["task_id"]
    api.mock.fail_next("server_error", times=5)

    api.mock.reset()

    assert api.mock.journal == []
    assert api.get(task_id).status_code == 404


def test_the_admin_api_resets_too(api: Api, request_body) -> None:
    task_id = api.created(request_body())["task_id"]

    api.http.post(f"{ADMIN_PREFIX}/reset")

    assert api.get(task_id).status_code == 404
    assert len(api.mock.journal) == 1  # only the get after the reset


def test_long_header_values_are_cut_short(api: Api) -> None:
    api.list(headers={**AUTH, "X-Trace": "t" * 5000})

    (entry,) = api.mock.journal

    assert len(entry.headers["x-trace"]) < 300
