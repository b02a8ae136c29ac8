"""From an install with the ``mock`` extra: the served mock, the pytest fixtures, mypy."""

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Venv

DEV_KEY = "kling-mock-dev-key"


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes], within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"kling-mock serve exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"kling-mock serve did not listen on {port} within {within} s")


@pytest.fixture
def served_mock(mock_venv: Venv, tmp_path: Path) -> Iterator[str]:
    """``kling-mock serve`` from the install, on a loopback port; stopped by its PID."""
    port = free_loopback_port()
    command = [
        str(mock_venv.bin / "kling-mock"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--submitted-seconds",
        "0",
        "--processing-seconds",
        "0",
    ]
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_listening(port, process, within=15)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_installed_sdk_expands_through_the_installed_mock_server(
    mock_venv: Venv, served_mock: str, downstream: Path
) -> None:
    result = mock_venv.run(
        mock_venv.python, downstream / "expand_against.py", served_mock, DEV_KEY, cwd=downstream
    )

    assert result.returncode == 0, result.stderr
    index, width, height = result.stdout.split()
    assert index == "0"
    assert int(width) * 9 == int(height) * 16


def test_a_downstream_test_file_gets_the_plugin_fixtures(mock_venv: Venv, downstream: Path) -> None:
    (downstream / "plugin_fixtures.py").rename(downstream / "test_downstream.py")

    result = mock_venv.run(
        mock_venv.bin / "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "test_downstream.py",
        cwd=downstream,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_a_downstream_module_type_checks_strictly_against_the_installed_packages(
    mock_venv: Venv, downstream: Path
) -> None:
    result = mock_venv.run(
        mock_venv.bin / "mypy",
        "--strict",
        "--no-incremental",
        "typed_usage.py",
        cwd=downstream,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_sees_the_installed_types_so_a_wrong_one_fails(
    mock_venv: Venv, downstream: Path
) -> None:
    wrong = downstream / "wrong.py"
    wrong.write_text(
        "from kling_expand_api.models import TaskStatus\n"
        "from kling_expand import KlingExpand\n\n"
        "status: int = TaskStatus.SUCCEED\n"
        "client: str = KlingExpand(api_key='k')\n"
    )

    result = mock_venv.run(
        mock_venv.bin / "mypy",
        "--strict",
        "--no-incremental",
        "wrong.py",
        cwd=downstream,
        timeout=120,
    )

    assert result.returncode == 1
    assert "wrong.py:4: error: Incompatible types" in result.stdout
    assert "wrong.py:5: error: Incompatible types" in result.stdout
    assert "py.typed" not in result.stdout
