import asyncio
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from kling_bench._creator import _read_body, build_request, create_batch, parse_response_head
from kling_bench._requests import auth_headers
from kling_spec import CREATE_PATH


def _counting_app(
    status_for: Callable[[int], int] = lambda n: 200,
) -> tuple[Starlette, list[bytes]]:
    received: list[bytes] = []

    async def create(request: Request) -> JSONResponse:
        received.append(await request.body())
        n = len(received)
        status = status_for(n)
        if status != 200:
            return JSONResponse({"code": 1002, "message": "bad key"}, status_code=status)
        return JSONResponse({"code": 0, "message": "SUCCEED", "data": {"task_id": f"t{n}"}})

    return Starlette(routes=[Route(CREATE_PATH, create, methods=["POST"])]), received


def _request_for(base_url: str, body: bytes = b'{"a": 1}') -> tuple[str, int, bytes]:
    host, port = base_url.removeprefix("http://").split(":")
    request = build_request(
        "POST", CREATE_PATH, host=host, port=int(port), headers=auth_headers("k"), body=body
    )
    return host, int(port), request


def test_exactly_the_requested_number_of_tasks_is_created(serve_app) -> None:
    app, received = _counting_app()

    with serve_app(app) as base_url:
        host, port, request = _request_for(base_url)
        batch = create_batch(host, port, request, count=250, concurrency=4, deadline_s=60)

    assert (batch.created, batch.failed) == (250, 0)
    assert len(received) == 250
    assert set(received) == {b'{"a": 1}'}
    assert batch.first_task_id is not None and batch.first_task_id.startswith("t")


def test_refused_creates_are_counted_and_the_first_reason_kept(serve_app) -> None:
    app, _ = _counting_app(status_for=lambda n: 401 if n % 2 else 200)

    with serve_app(app) as base_url:
        host, port, request = _request_for(base_url)
        batch = create_batch(host, port, request, count=20, concurrency=1, deadline_s=60)

    assert batch.created + batch.failed == 20
    assert batch.failed == 10
    assert batch.first_failure is not None and batch.first_failure.startswith("HTTP 401")


def test_a_chunked_answer_is_read_whole(serve_app) -> None:
    async def chunks():
        yield b'{"code": 0, '
        yield b'"data": {"task_id": "chunked"}}'

    async def create(request: Request) -> StreamingResponse:
        await request.body()
        return StreamingResponse(chunks(), media_type="application/json")

    app = Starlette(routes=[Route(CREATE_PATH, create, methods=["POST"])])
    with serve_app(app) as base_url:
        host, port, request = _request_for(base_url)
        batch = create_batch(host, port, request, count=3, concurrency=1, deadline_s=60)

    assert (batch.created, batch.first_task_id) == (3, "chunked")


def test_the_request_carries_its_length_and_headers() -> None:
    request = build_request(
        "POST", "/p", host="127.0.0.1", port=80, headers={"X-A": "1"}, body=b"abc"
    )

    head, _, body = request.partition(b"\r\n\r\n")
    assert body == b"abc"
    assert b"Content-Length: 3" in head.split(b"\r\n")
    assert b"X-A: 1" in head.split(b"\r\n")


def test_response_heads_are_parsed_case_insensitively() -> None:
    status, headers = parse_response_head(b"HTTP/1.1 404 Not Found\r\nContent-LENGTH: 10\r\n\r\n")

    assert status == 404
    assert headers["content-length"] == "10"


def test_a_body_is_read_by_its_content_length() -> None:
    async def read() -> bytes:
        reader = asyncio.StreamReader()
        reader.feed_data(b"0123456789extra")
        return await _read_body(reader, {"content-length": "10"})

    assert asyncio.run(read()) == b"0123456789"
