"""What goes over the wire: exact request shapes for every operation, sync and async."""

from __future__ import annotations

import base64
import copy
import inspect
import json

import httpx
import pytest

from kling_expand import (
    ConfigurationError,
    InputValidationError,
    KlingExpand,
    NotFoundError,
    Ratios,
    RequestOptions,
    TaskStatus,
    make_status_error,
)
from kling_spec import ExpandConstraints

from .conftest import API_KEY, BASE_URL, CREATE_URL


def test_submit_sends_the_image_as_raw_base64_and_every_field_by_its_spec_name(
    client, router, envelope, make_image
):
    # Given a real PNG and every optional field
    image = make_image(640, 480)
    route = router.post(CREATE_URL).respond(json=envelope(task_id="t-9"))
    # When it is submitted
    task = client.submit(
        image,
        up=0.1,
        down=0.2,
        left=0.3,
        right=0.4,
        prompt="more sky",
        n=2,
        watermark=True,
        external_task_id="mine-1",
        callback_url="https://hooks.test/kling",
    )
    # Then the body is exactly the documented request, the key a bearer token
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert json.loads(request.content) == {
        "image": base64.b64encode(image).decode(),
        "up_expansion_ratio": 0.1,
        "down_expansion_ratio": 0.2,
        "left_expansion_ratio": 0.3,
        "right_expansion_ratio": 0.4,
        "prompt": "more sky",
        "n": 2,
        "watermark_info": {"enabled": True},
        "external_task_id": "mine-1",
        "callback_url": "https://hooks.test/kling",
    }
    assert task.id == "t-9" and task.status == TaskStatus.SUBMITTED


def test_submit_sends_a_url_as_is_and_invents_an_external_task_id(client, router, envelope):
    route = router.post(CREATE_URL).respond(json=envelope())
    client.submit("https://img.test/photo.jpg", ratios=Ratios.all(0.2))
    body = json.loads(route.calls.last.request.content)
    assert body["image"] == "https://img.test/photo.jpg"
    assert body["external_task_id"].startswith("kx-")
    assert "n" not in body and "prompt" not in body


def test_submit_sends_a_capitalised_url_and_wrapped_base64_as_the_service_takes_them(
    client, router, envelope, make_image
):
    route = router.post(CREATE_URL).respond(json=envelope())
    data = make_image(400, 300)
    client.submit("HTTPS://img.test/Photo.jpg", up=0.2)
    client.submit(base64.encodebytes(data).decode(), up=0.2)
    sent = [json.loads(call.request.content)["image"] for call in route.calls]
    assert sent == ["https://img.test/Photo.jpg", base64.b64encode(data).decode()]


def test_two_submits_never_share_an_invented_external_task_id(client, router, envelope):
    route = router.post(CREATE_URL).respond(json=envelope())
    client.submit("https://img.test/a.jpg", up=0.1)
    client.submit("https://img.test/a.jpg", up=0.1)
    ids = {json.loads(call.request.content)["external_task_id"] for call in route.calls}
    assert len(ids) == 2


def test_submit_with_an_aspect_sends_the_ratios_the_helper_picks(
    client, router, envelope, make_image
):
    route = router.post(CREATE_URL).respond(json=envelope())
    client.submit(make_image(800, 600), aspect="16:9", anchor="left")
    body = json.loads(route.calls.last.request.content)
    assert body["left_expansion_ratio"] == 0
    assert body["right_expansion_ratio"] > 0
    width = 800 * (1 + body["right_expansion_ratio"])
    height = 600 * (1 + body["up_expansion_ratio"] + body["down_expansion_ratio"])
    assert width / height == pytest.approx(16 / 9, rel=1e-3)


def test_get_asks_for_the_task_by_path(client, router, envelope):
    route = router.get(f"{CREATE_URL}/abc").respond(
        json=envelope(task_id="abc", task_status="processing", task_info={"external_task_id": "e1"})
    )
    task = client.get("abc")
    assert route.called
    assert (task.id, task.status, task.external_task_id) == ("abc", TaskStatus.PROCESSING, "e1")
    assert task.request_id == "req-1"


def test_list_pages_through_every_task_with_the_spec_page_size(client, router, task_record):
    size = 2

    def page(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["pageNum"])
        records = [task_record(task_id=f"p{number}-{i}") for i in range(size if number < 3 else 1)]
        return httpx.Response(200, json={"code": 0, "message": "SUCCEED", "data": records})

    route = router.get(CREATE_URL).mock(side_effect=page)
    tasks = client.list(page_size=size)
    assert [t.id for t in tasks] == ["p1-0", "p1-1", "p2-0", "p2-1", "p3-0"]
    assert [dict(c.request.url.params) for c in route.calls] == [
        {"pageNum": str(n), "pageSize": str(size)} for n in (1, 2, 3)
    ]


def test_list_uses_the_spec_default_page_size(client, router):
    default = list_parameters()["pageSize"]["default"]
    route = router.get(CREATE_URL).respond(json={"code": 0, "message": "SUCCEED", "data": []})
    assert client.list() == []
    assert route.calls.last.request.url.params["pageSize"] == str(default)


def test_get_by_external_id_filters_the_list_by_default(client, router, task_record):
    route = router.get(CREATE_URL).respond(
        json={
            "code": 0,
            "message": "SUCCEED",
            "data": [task_record(task_id="t7", task_info={"external_task_id": "order-7"})],
        }
    )
    task = client.get_by_external_id("order-7")
    assert task.id == "t7"
    assert route.calls.last.request.url.params["external_task_id"] == "order-7"


def test_get_by_external_id_ignores_tasks_a_server_returned_despite_the_filter(
    client, router, task_record
):
    router.get(CREATE_URL).respond(
        json={
            "code": 0,
            "message": "SUCCEED",
            "data": [task_record(task_id="other", task_info={"external_task_id": "x"})],
        }
    )
    with pytest.raises(NotFoundError, match="order-7"):
        client.get_by_external_id("order-7")


def list_parameters(spec: dict | None = None) -> dict[str, dict]:
    """The list operation's query parameters' schemas, by name, from the (resolved) spec."""
    from kling_spec import CREATE_PATH, load_resolved_spec

    parameters = (spec or load_resolved_spec())["paths"][CREATE_PATH]["get"]["parameters"]
    return {p["name"]: p["schema"] for p in parameters}


def pages_of_others(task_record, match_on_page: int | None, last_page: int | None = None):
    """A list route that ignores the filter: full pages of other tasks, the match on one."""
    size = list_parameters()["pageSize"]["default"]

    def page(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["pageNum"])
        records = [task_record(task_id=f"other-{number}-{i}") for i in range(size)]
        if number == match_on_page:
            records[-1] = task_record(task_id="t7", task_info={"external_task_id": "order-7"})
        if number == last_page:
            records = records[: size // 2]
        return httpx.Response(200, json={"code": 0, "message": "SUCCEED", "data": records})

    return page


def test_get_by_external_id_reads_past_the_first_page(client, router, task_record):
    route = router.get(CREATE_URL).mock(side_effect=pages_of_others(task_record, match_on_page=3))
    assert client.get_by_external_id("order-7").id == "t7"
    assert [c.request.url.params["pageNum"] for c in route.calls] == ["1", "2", "3"]
    assert {c.request.url.params["external_task_id"] for c in route.calls} == {"order-7"}


def test_get_by_external_id_stops_at_the_last_page(client, router, task_record):
    route = router.get(CREATE_URL).mock(
        side_effect=pages_of_others(task_record, match_on_page=None, last_page=2)
    )
    with pytest.raises(NotFoundError, match="order-7"):
        client.get_by_external_id("order-7")
    assert route.call_count == 2


def test_get_by_external_id_reads_no_more_pages_than_the_spec_allows(
    make_client, router, task_record
):
    from kling_spec import load_resolved_spec

    # Given a spec whose list stops at page 2, and a server that never runs out of pages
    spec = copy.deepcopy(load_resolved_spec())
    list_parameters(spec)["pageNum"]["maximum"] = 2
    client = make_client(spec=spec)
    route = router.get(CREATE_URL).mock(side_effect=pages_of_others(task_record, None))
    with pytest.raises(NotFoundError):
        client.get_by_external_id("order-7")
    assert route.call_count == list_parameters(spec)["pageNum"]["maximum"]


def test_no_task_for_an_external_id_is_the_mapped_not_found_error(client, router):
    # Given an id that happens to carry the key (pasted from the wrong place), and no task
    router.get(CREATE_URL).respond(json={"code": 0, "message": "SUCCEED", "data": []})
    with pytest.raises(NotFoundError) as caught:
        client.get_by_external_id(f"order-{API_KEY}")
    # Then the error is the one the mapping makes of a 404, the key masked as everywhere
    expected = make_status_error(404, {"message": "no task with external_task_id 'order-***'"})
    assert (caught.value.status_code, caught.value.code) == (404, None)
    assert caught.value.body == expected.body and str(caught.value) == str(expected)
    assert API_KEY not in str(caught.value)


def test_get_by_external_id_can_use_the_get_path_instead(make_client, router, envelope):
    client = make_client(external_id_lookup="path")
    route = router.get(f"{CREATE_URL}/order-7").respond(
        json=envelope(task_id="t7", task_info={"external_task_id": "order-7"})
    )
    assert client.get_by_external_id("order-7").id == "t7"
    assert route.called


def test_per_call_options_set_the_timeout_and_headers_of_that_call_only(client, router, envelope):
    route = router.get(f"{CREATE_URL}/t1").respond(json=envelope())
    client.get("t1", options=RequestOptions(timeout=3.5, extra_headers={"X-Trace": "abc"}))
    client.get("t1")
    first, second = (call.request for call in route.calls)
    assert first.extensions["timeout"]["read"] == 3.5 and first.headers["X-Trace"] == "abc"
    assert second.extensions["timeout"]["read"] == 60.0 and "X-Trace" not in second.headers


def test_with_options_makes_a_client_with_other_defaults_sharing_the_connection(
    client, router, envelope
):
    route = router.get(f"{CREATE_URL}/t1").respond(json=envelope())
    quick = client.with_options(timeout=1.0)
    quick.get("t1")
    assert route.calls.last.request.extensions["timeout"]["connect"] == 1.0


def close(client) -> None:
    """Close an SDK client through its facade, sync or async."""
    (getattr(client, "close", None) or client.aclose)()


def test_a_custom_httpx_client_carries_the_requests(make_client, make_http, envelope):
    seen: list[httpx.Request] = []
    http = make_http(transport=recording(envelope, seen), headers={"User-Agent": "mine"})
    client = make_client(http_client=http)
    client.get("t1")
    close(client)
    assert seen[0].url == f"{CREATE_URL}/t1"
    assert seen[0].headers["User-Agent"] == "mine"
    assert seen[0].headers["Authorization"] == f"Bearer {API_KEY}"
    assert not http.is_closed, "a client the caller passed in is the caller's to close"


def test_an_httpx_client_that_authenticates_itself_needs_no_key(
    make_client, make_http, envelope, monkeypatch
):
    monkeypatch.delenv("COMETAPI_KEY", raising=False)
    seen: list[httpx.Request] = []
    http = make_http(transport=recording(envelope, seen), headers={"Authorization": "Bearer own"})
    client = make_client(api_key=None, http_client=http)
    client.get("t1")
    close(client)
    assert seen[0].headers["Authorization"] == "Bearer own"


def test_an_httpx_client_without_authorization_still_needs_a_key(
    make_client, make_http, envelope, monkeypatch
):
    monkeypatch.delenv("COMETAPI_KEY", raising=False)
    http = make_http(transport=recording(envelope, []))
    with pytest.raises(ConfigurationError, match="COMETAPI_KEY"):
        make_client(api_key=None, http_client=http)


def test_a_transport_carries_the_requests(make_client, envelope):
    seen: list[httpx.Request] = []
    client = make_client(transport=recording(envelope, seen))
    client.get("t1")
    assert seen[0].url == f"{CREATE_URL}/t1"
    assert seen[0].headers["Authorization"] == f"Bearer {API_KEY}"


def test_an_httpx_client_and_a_transport_together_are_refused(make_client, make_http, envelope):
    transport = recording(envelope, [])
    with pytest.raises(ConfigurationError, match="not both"):
        make_client(http_client=make_http(transport=transport), transport=transport)


def test_configuration_comes_from_the_environment(make_client, monkeypatch, envelope):
    monkeypatch.setenv("COMETAPI_KEY", "sk-from-env")
    monkeypatch.setenv("KLING_BASE_URL", "http://127.0.0.1:9/")
    seen: list[httpx.Request] = []
    client = make_client(api_key=None, base_url=None, transport=recording(envelope, seen))
    assert client.base_url == "http://127.0.0.1:9"
    client.get("t1")
    assert seen[0].url == "http://127.0.0.1:9/kling/v1/images/editing/expand/t1"
    assert seen[0].headers["Authorization"] == "Bearer sk-from-env"


def test_the_default_base_url_is_the_spec_server(monkeypatch):
    from kling_spec import load_resolved_spec

    monkeypatch.delenv("KLING_BASE_URL", raising=False)
    with KlingExpand(api_key=API_KEY) as client:
        assert client.base_url == load_resolved_spec()["servers"][0]["url"]


def test_a_missing_key_is_a_configuration_error(monkeypatch):
    monkeypatch.delenv("COMETAPI_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="COMETAPI_KEY"):
        KlingExpand()


def public_methods(cls: type) -> dict[str, list[str]]:
    """Each public method's parameter names (closing is ``close`` in both, for the comparison)."""
    methods = {}
    for name, member in inspect.getmembers(cls, callable):
        if not name.startswith("_"):
            names = list(inspect.signature(member).parameters)
            methods["close" if name == "aclose" else name] = names
    return methods


def test_both_clients_offer_the_same_methods_with_the_same_parameters():
    from kling_expand import AsyncKlingExpand

    assert public_methods(AsyncKlingExpand) == public_methods(KlingExpand)
    assert list(inspect.signature(AsyncKlingExpand).parameters) == list(
        inspect.signature(KlingExpand).parameters
    )


def test_the_key_never_appears_in_a_repr_or_a_configuration_error():
    client = KlingExpand(api_key=API_KEY, base_url=BASE_URL)
    assert API_KEY not in repr(client) and "***" in repr(client)
    client.close()
    with pytest.raises(ConfigurationError) as caught:
        KlingExpand(api_key="sk-secret value", base_url=BASE_URL)
    assert "sk-secret" not in str(caught.value)


def test_the_key_goes_only_to_the_api_never_to_an_image_host(
    client, router, succeeded, tmp_path, make_image
):
    router.get(f"{CREATE_URL}/t1").respond(json=succeeded("t1", host="https://cdn.test"))
    image = router.get("https://cdn.test/t1/0.png").respond(
        content=make_image(300, 300), headers={"Content-Type": "image/png"}
    )
    client.download(client.get("t1"), tmp_path)
    assert "Authorization" not in image.calls.last.request.headers


def test_constraints_come_from_the_spec_handed_to_the_client(make_client):
    from kling_spec import load_resolved_spec, request_schema_of

    # Given a copy of the shipped spec that allows one result fewer per request
    shipped = ExpandConstraints.from_spec()
    most = int(shipped.n_bound.maximum)
    spec = copy.deepcopy(load_resolved_spec())
    request_schema_of(spec)["properties"]["n"]["maximum"] = most - 1
    # Then a client given it refuses what the shipped spec allows
    client = make_client(spec=spec)
    assert client.constraints == ExpandConstraints.from_spec(spec) != shipped
    with pytest.raises(InputValidationError) as caught:
        client.check("https://img.test/a.jpg", up=0.1, n=most)
    assert caught.value.field == "n"
    assert make_client().check("https://img.test/a.jpg", up=0.1, n=most).n == most


def test_expand_applies_per_call_options_to_the_create_and_every_poll(
    client, router, envelope, succeeded
):
    create = router.post(CREATE_URL).respond(json=envelope(task_id="t1"))
    poll = router.get(f"{CREATE_URL}/t1").respond(json=succeeded("t1"))
    client.expand(
        "https://img.test/a.jpg", up=0.2, options=RequestOptions(extra_headers={"X-Trace": "e"})
    )
    assert create.calls.last.request.headers["X-Trace"] == "e"
    assert poll.calls.last.request.headers["X-Trace"] == "e"


def recording(envelope, seen: list[httpx.Request]) -> httpx.MockTransport:
    """A transport that keeps every request and answers each with a task."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=envelope())

    return httpx.MockTransport(answer)


def test_clients_sharing_one_httpx_client_each_send_their_own_key(make_client, make_http, envelope):
    # Given two SDK clients with different keys on one httpx client of the caller's
    seen: list[httpx.Request] = []
    http = make_http(transport=recording(envelope, seen))
    first = make_client(api_key="sk-key-a", http_client=http)
    second = make_client(api_key="sk-key-b", http_client=http)
    # When each sends a request, in turn
    first.get("t1")
    second.get("t1")
    first.get("t1")
    # Then each request carries the key of the client that sent it, and the shared
    # httpx client is left as the caller made it
    assert [r.headers["Authorization"] for r in seen] == [
        "Bearer sk-key-a",
        "Bearer sk-key-b",
        "Bearer sk-key-a",
    ]
    assert http.event_hooks == {"request": [], "response": []}
    assert str(http.base_url) == ""


def test_a_custom_httpx_clients_base_url_is_the_api_when_none_is_given(
    make_client, make_http, envelope, monkeypatch
):
    monkeypatch.setenv("KLING_BASE_URL", "https://from-env.test")
    seen: list[httpx.Request] = []
    http = make_http(base_url="https://proxy.test/comet", transport=recording(envelope, seen))
    client = make_client(base_url=None, http_client=http)
    client.get("t1")
    assert client.base_url == "https://proxy.test/comet"
    assert seen[0].url == "https://proxy.test/comet/kling/v1/images/editing/expand/t1"
    assert seen[0].headers["Authorization"] == f"Bearer {API_KEY}"


def test_an_explicit_base_url_wins_over_the_custom_httpx_clients(make_client, make_http, envelope):
    seen: list[httpx.Request] = []
    http = make_http(base_url="https://proxy.test", transport=recording(envelope, seen))
    client = make_client(base_url=f"{BASE_URL}/", http_client=http)
    client.get("t1")
    assert client.base_url == BASE_URL
    assert seen[0].url == f"{CREATE_URL}/t1"
    assert seen[0].headers["Authorization"] == f"Bearer {API_KEY}"
