"""A third-party Kling client from npm (kling-api, pinned by package-lock.json), unmodified,
against ``kling-mock serve --tls``: a JWT, Kling's /v1 paths, HTTPS and a download.

The client refuses non-https base URLs and downloads from loopback names, so the mock's
result URLs use a public-looking name (``.example`` is reserved: it never resolves
outside) that a preloaded module resolves to 127.0.0.1 in the Node process alone.
"""

import io
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from kling_mock._gateways import gateway_path
from kling_spec import CREATE_PATH

HERE = Path(__file__).parent / "node"
PUBLIC_HOST = "api.kling-mock.example"
AK, SK = "ak-interop", "sk-interop-0123456789abcdef0123456789"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="node and npm are needed to run the third-party Kling JavaScript client",
)


@pytest.fixture(scope="module")
def node_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pinned client installed from the npm registry, exactly as the lock file says."""
    project = tmp_path_factory.mktemp("node-client")
    for name in ("package.json", "package-lock.json", "drive.mjs", "public-host.cjs"):
        shutil.copy(HERE / name, project / name)
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return project


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def mock_over_tls(tmp_path: Path) -> Iterator[tuple[str, str, int]]:
    """``kling-mock serve --tls`` with a Kling key pair: its public base URL and CA file."""
    port = free_port()
    base_url = f"https://{PUBLIC_HOST}:{port}"
    command = [
        sys.executable, "-m", "kling_mock", "serve", "--tls", "--port", str(port),
        "--tls-dir", str(tmp_path / "tls"), "--public-base-url", base_url,
        "--kling-key", f"{AK}:{SK}=interop",
        "--submitted-seconds", "0.2", "--processing-seconds", "0.3",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        ca_file = process.stdout.readline().split(": ", 1)[1].strip()
        for _ in range(100):
            try:
                httpx.get(
                    f"https://127.0.0.1:{port}/openapi.json",
                    verify=ssl.create_default_context(cafile=ca_file),
                )
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        yield base_url, ca_file, port
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_node_client_creates_polls_and_downloads_over_https_with_a_jwt(
    node_project: Path, mock_over_tls: tuple[str, str, int], tmp_path: Path
) -> None:
    base_url, ca_file, port = mock_over_tls
    source = tmp_path / "source.png"
    Image.new("RGB", (400, 300), (200, 120, 40)).save(source)
    out = tmp_path / "out"
    env = {
        **os.environ,
        "NODE_EXTRA_CA_CERTS": ca_file,
        "KLING_MOCK_PUBLIC_HOST": PUBLIC_HOST,
        "KLING_ACCESS_KEY": AK,
        "KLING_SECRET_KEY": SK,
    }
    result = subprocess.run(
        ["node", "--require", "./public-host.cjs", "drive.mjs", base_url, str(source), str(out)],
        cwd=node_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "succeed"
    [saved] = outcome["saved"]
    with Image.open(io.BytesIO(Path(saved).read_bytes())) as image:
        assert image.size == (round(400 * 1.2), round(300 * 1.2))
    journal = httpx.get(
        f"https://127.0.0.1:{port}/_mock/journal", verify=ssl.create_default_context(cafile=ca_file)
    ).json()
    kling_path = gateway_path(CREATE_PATH, "kling")
    creates = [e for e in journal["entries"] if e["method"] == "POST"]
    assert [(e["path"], e["account"], e["status"]) for e in creates] == [
        (kling_path, "interop", 200)
    ]
