import json
import shutil

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kling_bench import LiveServer, Workload, parse_wrk_output, wrk_command
from kling_bench._requests import auth_headers, example_create_body, task_path
from kling_bench._wrk import WrkError, find_wrk, run_wrk, script_environment
from kling_spec import CREATE_PATH, TASK_PATH

WRK_STDOUT = """Running 3s test @ http://127.0.0.1:40000/kling/v1/images/editing/expand
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.60ms  312.00us  12.03ms   91.20%
    Req/Sec     4.83k   120.11     5.01k    80.00%
  14502 requests in 3.00s, 4.12MB read
Requests/sec:   4833.91
Transfer/sec:      1.37MB
BENCH_RESULT {"duration_us":3000123,"requests":14502,"bytes":4320000,\
"errors":{"connect":0,"read":1,"write":0,"status":7,"timeout":2},\
"latency_us":{"p50":6600,"p90":7010,"p99":7080,"mean":6604.2,"max":12030}}
"""


def test_the_result_line_gives_exact_throughput_percentiles_and_errors() -> None:
    summary = parse_wrk_output(WRK_STDOUT)

    assert summary.requests == 14502
    assert summary.requests_per_s == pytest.approx(14502 / 3.000123)
    assert (summary.p50_ms, summary.p90_ms, summary.p99_ms) == (6.6, 7.01, 7.08)
    assert summary.max_ms == pytest.approx(12.03)
    assert summary.errors.status == 7
    assert summary.errors.total == 10


def test_output_without_a_result_line_is_an_error_that_shows_the_output() -> None:
    text = "unable to connect to 127.0.0.1:1 Connection refused\n"

    with pytest.raises(WrkError, match="Connection refused"):
        parse_wrk_output(text)


def test_a_run_of_zero_seconds_reports_zero_throughput_not_a_crash() -> None:
    line = WRK_STDOUT.splitlines()[-1].replace('"duration_us":3000123', '"duration_us":0')

    assert parse_wrk_output(line).requests_per_s == 0.0


@pytest.mark.parametrize("connections", [1, 8, 32, 128])
def test_the_command_never_asks_for_more_threads_than_connections(connections: int) -> None:
    command = wrk_command(
        url="http://127.0.0.1:1/x",
        workload=Workload.CREATE,
        connections=connections,
        duration_s=3,
        headers={},
        threads=4,
    )

    threads = int(command[command.index("--threads") + 1])
    assert 1 <= threads <= min(4, connections)
    assert command[command.index("--connections") + 1] == str(connections)


def test_the_command_sends_every_header_and_ends_with_the_url() -> None:
    command = wrk_command(
        url="http://127.0.0.1:1/x",
        workload=Workload.GET_TASK,
        connections=8,
        duration_s=0.2,
        headers=auth_headers("k-1"),
    )

    assert command[command.index("--header") + 1] == "Authorization: Bearer k-1"
    assert command[command.index("--duration") + 1] == "1s"
    assert command[-1] == "http://127.0.0.1:1/x"


@pytest.mark.parametrize("workload", list(Workload))
def test_every_workload_has_its_script(workload: Workload) -> None:
    assert workload.script.is_file()


def test_a_wrk_that_fails_is_reported_with_its_error(tmp_path) -> None:
    fake = tmp_path / "wrk"
    fake.write_text("#!/bin/sh\necho 'invalid option' >&2\nexit 1\n")
    fake.chmod(0o755)

    with pytest.raises(WrkError, match="invalid option"):
        run_wrk([str(fake)], env={}, duration_s=1)


needs_wrk = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (make bench installs it)"
)


@needs_wrk
@pytest.mark.parametrize("workload", list(Workload))
def test_each_lua_script_drives_a_real_server_and_reports_a_result(
    workload: Workload, ceiling_server: LiveServer, tmp_path
) -> None:
    # Given the ceiling app and a create body on disk
    body_file = tmp_path / "body.json"
    body_file.write_text(json.dumps(example_create_body()))
    path = task_path("t1") if workload is Workload.GET_TASK else CREATE_PATH
    # When wrk runs the workload's script for a second
    command = wrk_command(
        url=ceiling_server.base_url + path,
        workload=workload,
        connections=2,
        duration_s=1,
        headers=auth_headers("k"),
        executable=find_wrk(),
    )
    env = script_environment(body_file=body_file, task_path_template=task_path("{task_id}"))
    summary = run_wrk(command, env=env, duration_s=1)
    # Then it sent requests that all succeeded, and the figures are consistent
    assert summary.requests > 0
    assert summary.errors.total == 0
    assert 0 < summary.p50_ms <= summary.p99_ms <= summary.max_ms


@needs_wrk
def test_the_mixed_workload_alternates_creates_and_polls_of_created_tasks(
    serve_app, tmp_path
) -> None:
    # Given a server that records what it is sent and gives every create a new id
    seen: list[tuple[str, str]] = []

    async def create(request: Request) -> JSONResponse:
        await request.body()
        seen.append(("POST", request.url.path))
        return JSONResponse({"code": 0, "data": {"task_id": f"task-{len(seen)}"}})

    async def get_task(request: Request) -> JSONResponse:
        seen.append(("GET", request.path_params["task_id"]))
        return JSONResponse({"code": 0, "data": {"task_id": request.path_params["task_id"]}})

    app = Starlette(
        routes=[
            Route(CREATE_PATH, create, methods=["POST"]),
            Route(TASK_PATH, get_task, methods=["GET"]),
        ]
    )
    body_file = tmp_path / "body.json"
    body_file.write_text("{}")
    # When wrk runs the mixed workload on one connection
    with serve_app(app) as base_url:
        command = wrk_command(
            url=base_url + CREATE_PATH,
            workload=Workload.MIXED,
            connections=1,
            duration_s=1,
            headers={},
            executable=find_wrk(),
        )
        env = script_environment(body_file=body_file, task_path_template=TASK_PATH)
        run_wrk(command, env=env, duration_s=1)
    # Then creates and polls alternate, and each poll asks for a task a create returned
    methods = [method for method, _ in seen]
    assert methods[0] == "POST"
    assert ("GET", "GET") not in zip(methods, methods[1:], strict=False)
    assert abs(methods.count("POST") - methods.count("GET")) <= 2
    created = {f"task-{i + 1}" for i, (method, _) in enumerate(seen) if method == "POST"}
    assert all(target in created for method, target in seen if method == "GET")
