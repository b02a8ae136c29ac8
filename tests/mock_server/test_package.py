"""The mock is a real server: app factory, uvicorn, in-process httpx, a CLI, a pytest plugin."""

import importlib.metadata
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from kling_mock import DEFAULT_DEV_KEY, MockConfig, MockKling, ServerThread, create_app
from kling_mock._cli import _parser, config_from_args, main
from kling_spec import CREATE_PATH, load_resolved_spec


@pytest.mark.asyncio
async def test_the_app_serves_its_resolved_spec_in_process() -> None:
    transport = httpx.ASGITransport(app=create_app(MockConfig()))
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        response = await client.get("/openapi.json")

    assert response.status_code == 200
    assert response.json() == load_resolved_spec()


@pytest.mark.asyncio
async def test_the_async_in_process_client_runs_the_whole_cycle(request_body) -> None:
    mock = MockKling()
    async with mock.async_client() as client:
        created = (await client.post(CREATE_PATH, json=request_body(n=2))).json()["data"]
        await mock.advance_async(60)
        task = (await client.get(f"{CREATE_PATH}/{created['task_id']}")).json()["data"]
        image = await client.get(task["task_result"]["images"][1]["url"])

    assert task["task_status"] == "succeed"
    assert (image.status_code, image.headers["content-type"]) == (200, "image/png")


def test_the_same_app_runs_under_uvicorn_on_loopback(request_body) -> None:
    mock = MockKling()
    with mock.serve() as server, httpx.Client(base_url=server.base_url) as client:
        client.headers.update(mock.headers())
        created = client.post(CREATE_PATH, json=request_body()).json()["data"]
        mock.advance(60)
        task = client.get(f"{CREATE_PATH}/{created['task_id']}").json()["data"]
        image = client.get(task["task_result"]["images"][0]["url"])

    assert server.base_url.startswith("http://127.0.0.1:")
    assert task["task_result"]["images"][0]["url"].startswith(server.base_url)
    assert image.status_code == 200


def test_the_pytest_plugin_is_registered_as_an_entry_point() -> None:
    plugins = importlib.metadata.entry_points(group="pytest11")

    assert any(ep.value == "_kling_mock_pytest" for ep in plugins)


def test_the_plugin_fixtures_give_a_running_mock_and_a_client(
    mock_kling: MockKling, mock_kling_server: ServerThread, mock_kling_client: httpx.Client
) -> None:
    response = mock_kling_client.get(CREATE_PATH)

    assert str(mock_kling_client.base_url).rstrip("/") == mock_kling_server.base_url
    assert response.status_code == 200
    assert response.json()["data"] == []
    assert mock_kling.journal[-1].path == CREATE_PATH


@pytest.mark.asyncio
async def test_the_plugin_has_an_async_client_too(
    mock_kling: MockKling, mock_kling_async_client: httpx.AsyncClient, request_body
) -> None:
    async with mock_kling_async_client as client:
        created = await client.post(CREATE_PATH, json=request_body())
        await mock_kling.advance_async(60)
        task = await client.get(f"{CREATE_PATH}/{created.json()['data']['task_id']}")

    assert task.json()["data"]["task_status"] == "succeed"


def test_the_command_line_serves_on_the_documented_address_with_a_running_clock() -> None:
    args = _parser().parse_args(["serve"])
    config = config_from_args(args)

    assert (args.host, args.port) == ("127.0.0.1", 4010)
    assert config.api_keys == {DEFAULT_DEV_KEY: "dev"}
    assert config.clock_frozen is False


def test_the_command_line_takes_keys_and_accounts() -> None:
    args = _parser().parse_args(["serve", "--api-key", "k1=alice", "--api-key", "k2"])

    assert config_from_args(args).api_keys == {"k1": "alice", "k2": "k2"}


def test_the_command_line_takes_fault_rates_and_a_public_url() -> None:
    args = _parser().parse_args(
        ["serve", "--fault-rate", "rate_limited=0.25", "--public-base-url", "http://mock.test"]
    )

    config = config_from_args(args)

    assert dict(config.fault_rates) == {"rate_limited": 0.25}
    assert config.public_base_url == "http://mock.test"
    assert MockKling(config).service.faults.rates == {"rate_limited": 0.25}


def test_an_unknown_fault_scenario_is_a_usage_error(capsys) -> None:
    assert main(["serve", "--fault-rate", "meteor=0.5"]) == 2
    assert "meteor" in capsys.readouterr().err


def test_the_console_script_is_installed() -> None:
    scripts = importlib.metadata.entry_points(group="console_scripts")

    assert any(ep.name == "kling-mock" and ep.value == "kling_mock._cli:main" for ep in scripts)


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def lines_of(stream) -> "queue.Queue[str]":
    """The stream's lines as they come, then "" at its end (read by a thread of its own)."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_kling_mock_serve_runs_as_a_process_and_stops_cleanly(request_body) -> None:
    # Given `kling-mock serve` started as its own process on a free loopback port
    script = Path(sys.executable).with_name("kling-mock")
    port = free_loopback_port()
    process = subprocess.Popen(
        [str(script), "serve", "--host", "127.0.0.1", "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    output = lines_of(process.stderr)
    seen: list[str] = []
    try:
        # When it says it is up (uvicorn's startup line), a client creates and gets a task
        while not any("Application startup complete" in line for line in seen):
            seen.append(output.get(timeout=60))
            assert seen[-1], "kling-mock serve exited early:\n" + "".join(seen)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            spec = client.get("/openapi.json")
            client.headers.update({"Authorization": f"Bearer {DEFAULT_DEV_KEY}"})
            created = client.post(CREATE_PATH, json=request_body()).json()["data"]
            task = client.get(f"{CREATE_PATH}/{created['task_id']}").json()["data"]
    finally:
        process.terminate()
        process.wait(timeout=30)

    # Then it served the spec and the task, and shut down cleanly when told to
    assert spec.json() == load_resolved_spec()
    assert task["task_id"] == created["task_id"]
    while seen[-1]:
        seen.append(output.get(timeout=30))
    assert process.stderr is not None
    process.stderr.close()
    assert "Finished server process" in "".join(seen)
    # uvicorn shuts down gracefully, then re-raises the signal it was stopped with
    assert process.returncode in (0, -signal.SIGTERM)


def test_a_downstream_project_gets_the_fixtures_without_any_setup(tmp_path) -> None:
    # Given a project that only installs this package and writes a test asking for the fixture
    (tmp_path / "test_downstream.py").write_text(
        "def test_it(mock_kling, mock_kling_client):\n"
        "    body = {'image': 'https://example.com/a.png', 'up_expansion_ratio': 0,\n"
        "            'down_expansion_ratio': 0, 'left_expansion_ratio': 0.5,\n"
        "            'right_expansion_ratio': 0}\n"
        "    created = mock_kling_client.post('/kling/v1/images/editing/expand', json=body)\n"
        "    mock_kling.advance(60)\n"
        "    task_id = created.json()['data']['task_id']\n"
        "    task = mock_kling_client.get('/kling/v1/images/editing/expand/' + task_id)\n"
        "    assert task.json()['data']['task_status'] == 'succeed'\n"
    )

    # When pytest runs there, in a fresh process
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # Then the plugin was found through its entry point and the test passed
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_a_script_that_never_closes_its_in_process_client_still_exits() -> None:
    # Given a script that uses MockKling's sync client and forgets to close it
    script = (
        "from kling_mock import MockKling\n"
        "mock = MockKling()\n"
        "client = mock.client()\n"
        "print(client.get('/openapi.json').status_code)\n"
    )
    # When it ends, then the process exits (the in-process loop does not hold it)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout.strip()) == (0, "200")
