"""The mock's memory stays bounded: a task cap, a byte cap on sources, TTL eviction."""

from kling_spec import CREATE_PATH

from .conftest import AUTH, Api, b64

JSON_AUTH = {**AUTH, "Content-Type": "application/json"}


def refusal(response) -> tuple[int, int]:
    return response.status_code, response.json()["code"]


def test_past_the_cap_the_oldest_tasks_are_evicted(make_mock, make_api, request_body) -> None:
    api: Api = make_api(make_mock(max_tasks=3))
    ids = [api.created(request_body())["task_id"] for _ in range(5)]

    assert refusal(api.get(ids[0])) == refusal(api.get(ids[1])) == (404, 1203)
    assert [api.task(task_id)["task_id"] for task_id in ids[2:]] == ids[2:]
    assert len(api.mock.service.store) == 3


def test_the_stored_bytes_cap_evicts_the_oldest_uploads(make_mock, make_api, request_body, png):
    image = png(400, 300)
    api: Api = make_api(make_mock(max_stored_bytes=2 * len(image) + 10))
    ids = [api.created(request_body(image=b64(image)))["task_id"] for _ in range(4)]

    assert api.mock.service.store.stored_bytes <= 2 * len(image) + 10
    assert refusal(api.get(ids[0])) == (404, 1203)
    assert api.task(ids[-1])["task_id"] == ids[-1]


def test_a_task_past_its_ttl_no_longer_exists(make_mock, make_api, request_body) -> None:
    api: Api = make_api(make_mock(task_ttl_seconds=60))
    old = api.created(request_body(external_task_id="old"))["task_id"]
    api.mock.advance(30)
    young = api.created(request_body())["task_id"]

    api.mock.advance(30)

    assert refusal(api.get(old)) == (404, 1203)
    assert api.list(external_task_id="old").json()["data"] == []
    assert [t["task_id"] for t in api.list().json()["data"]] == [young]
    # The id is free again once its task is gone.
    assert api.create(request_body(external_task_id="old")).status_code == 200


def test_the_journal_and_deliveries_keep_only_the_latest(make_mock, make_api) -> None:
    api: Api = make_api(make_mock(journal_max_entries=3))
    for page in range(1, 6):
        api.list(pageNum=page)

    assert [entry.query for entry in api.mock.journal] == [f"pageNum={n}" for n in (3, 4, 5)]


def test_future_callbacks_of_evicted_tasks_are_dropped(make_mock, make_api, request_body) -> None:
    api: Api = make_api(make_mock(max_tasks=2))

    for _ in range(50):
        api.created(request_body(callback_url="http://127.0.0.1:9/hook"))

    steps = len(("submitted", "processing", "succeed"))
    assert api.mock.service.scheduled_callbacks <= 2 * steps * 2 + steps


def test_long_ids_count_against_the_byte_cap(make_mock, make_api, request_body) -> None:
    api: Api = make_api(make_mock(max_stored_bytes=100_000))

    for number in range(10):
        api.created(request_body(external_task_id=f"{number}-" + "x" * 30_000))

    assert api.mock.service.store.stored_bytes <= 100_000


def test_a_huge_image_url_is_not_kept(mock, make_api, request_body) -> None:
    api: Api = make_api(mock)
    task_id = api.created(request_body(image="https://images.example.com/" + "a" * 1_000_000))[
        "task_id"
    ]

    assert api.mock.service.store.stored_bytes < 1000
    assert api.task(task_id)["task_status"] == "submitted"


def test_a_body_of_countless_tiny_values_is_refused_before_it_is_parsed(api: Api) -> None:
    # Given a body within the size limit that would parse into millions of objects
    limit = api.mock.service.max_json_commas
    body = b'{"foo": [' + b"{}," * (limit + 1) + b'{}], "image": "x"}'
    assert len(body) < api.mock.service.max_body_bytes
    # When it is sent
    response = api.http.post(CREATE_PATH, content=body, headers=JSON_AUTH)
    # Then it is refused as a malformed body naming the limit, without being parsed
    assert refusal(response) == (400, 1200)
    assert f"max_json_commas {limit}" in response.json()["message"]
    assert set(api.mock.journal[-1].body) == {"raw"}, "journaled as raw bytes: never parsed"


def test_a_create_with_every_string_full_of_commas_is_within_the_comma_limit(
    api: Api, request_body
) -> None:
    # The derived limit must not refuse a valid create: a prompt at its longest, all commas
    longest = api.mock.service.constraints.prompt_max_length
    body = request_body(prompt="," * longest, external_task_id="a,b")
    assert api.create(body).status_code == 200
