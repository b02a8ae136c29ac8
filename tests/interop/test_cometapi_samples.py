"""The CometAPI page's own code samples, run unmodified but for the host, against the mock."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from kling_mock import DEFAULT_DEV_KEY, MockKling, ServerThread
from kling_spec import CREATE_PATH, load_resolved_spec

SPEC = load_resolved_spec()
SERVER = SPEC["servers"][0]["url"]
SAMPLES = {s["lang"]: s["source"] for s in SPEC["paths"][CREATE_PATH]["post"]["x-codeSamples"]}


@pytest.fixture
def mock() -> MockKling:
    return MockKling()


@pytest.fixture
def server(mock: MockKling) -> Iterator[ServerThread]:
    with mock.serve() as running:
        yield running


def run(command: list[str], server: ServerThread) -> str:
    env = {**os.environ, "COMETAPI_KEY": DEFAULT_DEV_KEY}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return result.stdout


def pointed_at(sample: str, server: ServerThread) -> str:
    assert SERVER in sample  # the sample really calls the documented server
    return sample.replace(SERVER, server.base_url)


def poll_and_download(mock: MockKling, server: ServerThread, task_id: str) -> None:
    """The rest of the page's request flow: poll the task path, then fetch the result."""
    mock.advance(60)
    curl = ["curl", "-sS", "-H", f"Authorization: Bearer {DEFAULT_DEV_KEY}"]
    record: dict[str, Any] = json.loads(
        run([*curl, f"{server.base_url}{CREATE_PATH}/{task_id}"], server)
    )["data"]
    assert record["task_status"] == "succeed"
    url = record["task_result"]["images"][0]["url"]
    png = subprocess.run(["curl", "-sSf", url], capture_output=True, check=True).stdout
    assert png.startswith(b"\x89PNG")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_sample_creates_a_task(mock: MockKling, server: ServerThread) -> None:
    answer = json.loads(run(["bash", "-c", pointed_at(SAMPLES["Shell"], server)], server))
    assert answer["code"] == 0
    poll_and_download(mock, server, answer["data"]["task_id"])


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_python_sample_creates_a_task(mock: MockKling, server: ServerThread) -> None:
    printed = run([sys.executable, "-c", pointed_at(SAMPLES["Python"], server)], server)
    code, task_id = printed.split()
    assert code == "0"
    assert mock.service.store.contains_id(task_id)
    poll_and_download(mock, server, task_id)
