import httpx

from kling_bench import create_ceiling_app
from kling_bench._requests import auth_headers, example_create_body, task_id_of, task_path
from kling_spec import CREATE_PATH, load_resolved_spec


def test_the_ceiling_answers_create_and_get_with_a_complete_task_envelope(serve_app) -> None:
    schemas = load_resolved_spec()["components"]["schemas"]

    with serve_app(create_ceiling_app()) as base_url, httpx.Client(base_url=base_url) as client:
        created = client.post(CREATE_PATH, json=example_create_body(), headers=auth_headers("k"))
        fetched = client.get(task_path(task_id_of(created.json())))

    for answer in (created, fetched):
        assert answer.status_code == 200
        envelope = answer.json()
        assert set(schemas["TaskEnvelope"]["required"]) <= envelope.keys()
        assert set(schemas["TaskRecord"]["required"]) <= envelope["data"].keys()


def test_the_ceiling_does_no_validation(serve_app) -> None:
    with serve_app(create_ceiling_app()) as base_url:
        answer = httpx.post(base_url + CREATE_PATH, content=b"not json")

    assert answer.json()["code"] == 0
