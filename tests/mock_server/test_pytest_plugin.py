"""The pytest plugin's fixtures: names, twins, one clock with the SDK, isolation, cost."""

from __future__ import annotations

import ssl
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

import kling_mock
from kling_expand import AsyncKlingExpand, KlingExpand, RetryPolicy
from kling_mock import MockKling, ServerThread

IMAGE = "https://example.com/a.jpg"


def test_the_fixture_does_not_shadow_the_package(mock_kling: MockKling) -> None:
    assert kling_mock.MockConfig().submitted_seconds == mock_kling.config.submitted_seconds


def test_sync_and_async_clients_are_served_by_the_same_server(
    mock_kling_server: ServerThread,
    mock_kling_client: httpx.Client,
    mock_kling_async_client: httpx.AsyncClient,
) -> None:
    assert str(mock_kling_client.base_url) == str(mock_kling_async_client.base_url)
    assert str(mock_kling_client.base_url).rstrip("/") == mock_kling_server.base_url


def test_expand_on_the_frozen_mock_moves_its_clock_instead_of_sleeping(
    mock_kling: MockKling, mock_kling_sdk: KlingExpand
) -> None:
    start = mock_kling.clock.now()
    began = time.perf_counter()
    result = mock_kling_sdk.expand(IMAGE, up=0.2)
    elapsed = time.perf_counter() - began
    assert result.task.status == "succeed"
    waited = mock_kling.clock.now() - start
    assert waited >= mock_kling.config.submitted_seconds + mock_kling.config.processing_seconds
    assert elapsed < 0.5  # a real wait would take the 4 s the task runs


def test_a_create_retried_through_three_503s_waits_in_mock_time(mock_kling: MockKling) -> None:
    mock_kling.fail_next_create("unavailable", times=3)
    start = mock_kling.clock.now()
    began = time.perf_counter()
    with mock_kling.sdk_client(retry_policy=RetryPolicy(max_retries=3, jitter=0)) as sdk:
        task = sdk.submit(IMAGE, up=0.2)
    assert task.status == "submitted"
    assert time.perf_counter() - began < 0.5
    assert mock_kling.clock.now() - start >= 3  # three retries, at least 1 s apart
    statuses = [e.status for e in mock_kling.journal]
    assert statuses.count(503) == 3 and statuses[-1] == 200


@pytest.mark.anyio
async def test_async_sdk_expands_in_mock_time_under_anyio(
    mock_kling: MockKling, mock_kling_async_sdk: AsyncKlingExpand
) -> None:
    start = mock_kling.clock.now()
    result = await mock_kling_async_sdk.expand(IMAGE, up=0.2)
    assert result.task.status == "succeed"
    assert mock_kling.clock.now() - start >= 4


@pytest.mark.asyncio
async def test_async_client_works_under_pytest_asyncio(
    mock_kling: MockKling, mock_kling_async_client: httpx.AsyncClient
) -> None:
    response = await mock_kling_async_client.get("/kling/v1/images/editing/expand")
    assert response.status_code == 200
    assert mock_kling.journal[-1].status == 200


@pytest.mark.parametrize("mock_kling_tls", [True])
def test_with_tls_on_every_served_fixture_speaks_https_and_trusts_the_mock_ca(
    mock_kling_server: ServerThread,
    mock_kling_client: httpx.Client,
    mock_kling_sdk: KlingExpand,
    tmp_path: Path,
) -> None:
    assert mock_kling_server.base_url.startswith("https://127.0.0.1:")
    assert str(mock_kling_client.base_url).startswith("https://")
    result = mock_kling_sdk.expand(IMAGE, up=0.2)
    assert all(image.url.startswith("https://") for image in result.task.images)
    saved = result.save(tmp_path)
    assert saved and all(image.path.stat().st_size == image.size_bytes > 0 for image in saved)


@pytest.mark.parametrize("mock_kling_tls", [True])
def test_the_tls_mock_refuses_a_client_that_does_not_trust_its_ca(
    mock_kling_server: ServerThread, mock_kling_ca_file: Path
) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(mock_kling_server.base_url + "/openapi.json")
    trusted = ssl.create_default_context(cafile=str(mock_kling_ca_file))
    assert httpx.get(mock_kling_server.base_url + "/openapi.json", verify=trusted).is_success


@pytest.mark.parametrize("mock_kling_tls", [True])
def test_code_that_builds_its_own_client_reaches_the_tls_mock_from_its_environment(
    mock_kling_env: MockKling,
) -> None:
    with KlingExpand() as sdk:
        task = sdk.submit(IMAGE, up=0.2)
    assert mock_kling_env.journal[-1].status == 200
    assert task.status == "submitted"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("kling_mock", "mock_kling"),
        ("kling_mock_config", "mock_kling_config"),
        ("kling_mock_server", "mock_kling_server"),
        ("kling_mock_client", "mock_kling_client"),
        ("kling_mock_async_client", "mock_kling_async_client"),
    ],
)
def test_an_old_fixture_name_still_works_and_warns(
    request: pytest.FixtureRequest, old: str, new: str
) -> None:
    with pytest.warns(DeprecationWarning, match=new):
        value = request.getfixturevalue(old)
    assert value is request.getfixturevalue(new)


DOWNSTREAM = """
import os
import time

import pytest
from kling_expand import KlingExpand

IMAGE = "https://example.com/a.jpg"
STARTED = {}


def test_a_dirties_everything_then_fails(mock_kling, mock_kling_client):
    STARTED["now"] = mock_kling.clock.now()
    body = {"image": IMAGE, "up_expansion_ratio": 0.2, "down_expansion_ratio": 0,
            "left_expansion_ratio": 0, "right_expansion_ratio": 0,
            "external_task_id": "order-1", "callback_url": "http://127.0.0.1:9/hook"}
    created = mock_kling_client.post("/kling/v1/images/editing/expand", json=body)
    assert created.status_code == 200
    mock_kling.fail_next_create("unavailable", times=5)
    mock_kling.service.faults.set_rates({"server_error": 1.0})
    mock_kling.advance(60)
    assert mock_kling.deliveries and mock_kling.journal
    raise AssertionError("this test fails on purpose")


def test_b_starts_clean(mock_kling, mock_kling_client):
    assert mock_kling.journal == []
    assert mock_kling.deliveries == []
    assert mock_kling.service.faults.queued == []
    assert mock_kling.service.faults.rates == {}
    assert abs(mock_kling.clock.now() - STARTED["now"]) < 5
    body = {"image": IMAGE, "up_expansion_ratio": 0.2, "down_expansion_ratio": 0,
            "left_expansion_ratio": 0, "right_expansion_ratio": 0,
            "external_task_id": "order-1"}
    created = mock_kling_client.post("/kling/v1/images/editing/expand", json=body)
    assert created.status_code == 200, created.text  # the external id is free again
    listed = mock_kling_client.get("/kling/v1/images/editing/expand").json()
    assert len(listed["data"]) == 1


def production_code():
    with KlingExpand() as client:
        return client.expand(IMAGE, up=0.2).task.status.value


def test_c_user_code_reads_the_environment(mock_kling_env):
    began = time.perf_counter()
    assert production_code() == "succeed"
    assert time.perf_counter() - began < 0.5
    assert os.environ["KLING_BASE_URL"].startswith("http://127.0.0.1:")


def test_d_the_environment_is_restored_after():
    assert os.environ.get("COMETAPI_KEY") != "kling-mock-dev-key"


@pytest.mark.parametrize("n", range(200))
def test_e_fixture_cost(mock_kling, mock_kling_client, mock_kling_async_client, mock_kling_sdk,
                        mock_kling_async_sdk, n):
    pass
"""


def test_a_downstream_suite_is_isolated_fast_and_reaches_the_mock_from_its_environment(
    tmp_path: Path,
) -> None:
    # Given a downstream project whose first test dirties the mock and fails
    (tmp_path / "test_downstream.py").write_text(textwrap.dedent(DOWNSTREAM))
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n"
    )
    env_free = {"COMETAPI_KEY": "", "KLING_BASE_URL": ""}

    # When pytest runs there, in a fresh process, without the repository's configuration
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, **env_free},
    )

    # Then only the failing test failed: nothing leaked into the next one
    out = result.stdout + result.stderr
    assert "1 failed, 203 passed" in out, out
    assert "test_a_dirties_everything_then_fails" in out
