"""HTTPS: a certificate made for the mock, its CA on disk for clients to trust."""

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from kling_mock import MockKling, ServerThread
from kling_mock._tls import certificate_names, make_certificate
from kling_spec import CREATE_PATH

PUBLIC_HOST = "images.kling-mock.example"


def test_certificate_covers_loopback_and_the_public_host(tmp_path: Path) -> None:
    files = make_certificate(tmp_path, certificate_names(f"https://{PUBLIC_HOST}:8443"))
    cert = x509.load_pem_x509_certificates(files.cert_file.read_bytes())[0]
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert PUBLIC_HOST in names.get_values_for_type(x509.DNSName)
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert "127.0.0.1" in [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
    assert files.ca_file is not None and files.ca_file.read_text().startswith("-----BEGIN")


@pytest.fixture
def https_server(mock: MockKling, tmp_path: Path) -> Iterator[tuple[ServerThread, Path]]:
    files = make_certificate(tmp_path, certificate_names())
    assert files.ca_file is not None
    server = ServerThread(
        mock.app, ssl_certfile=str(files.cert_file), ssl_keyfile=str(files.key_file)
    )
    with server:
        yield server, files.ca_file


def test_https_create_poll_download_with_https_result_urls(
    mock: MockKling,
    https_server: tuple[ServerThread, Path],
    request_body: Callable[..., dict[str, Any]],
) -> None:
    server, ca_file = https_server
    assert server.base_url.startswith("https://")
    verify = ssl.create_default_context(cafile=str(ca_file))
    with httpx.Client(base_url=server.base_url, headers=mock.headers(), verify=verify) as client:
        task_id = client.post(CREATE_PATH, json=request_body()).json()["data"]["task_id"]
        mock.advance(60)
        data = client.get(f"{CREATE_PATH}/{task_id}").json()["data"]
        url = data["task_result"]["images"][0]["url"]
        assert url.startswith(server.base_url + "/")
        assert client.get(url).content.startswith(b"\x89PNG")


def test_https_refused_by_a_client_that_does_not_trust_the_ca(
    https_server: tuple[ServerThread, Path],
) -> None:
    server, _ = https_server
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(server.base_url + "/openapi.json")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_tls_prints_ca_path_clients_can_trust(tmp_path: Path) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "kling_mock", "serve", "--tls", "--port", str(port),
        "--tls-dir", str(tmp_path), "--public-base-url", f"https://{PUBLIC_HOST}:{port}",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=os.environ
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("kling-mock CA certificate: ")
        ca_file = line.split(": ", 1)[1].strip()
        verify = ssl.create_default_context(cafile=ca_file)
        for _ in range(100):
            try:
                response = httpx.get(f"https://127.0.0.1:{port}/openapi.json", verify=verify)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        else:
            pytest.fail("kling-mock serve --tls did not answer")
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_tls_cert_without_key_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kling_mock", "serve", "--tls-cert", "cert.pem"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "give --tls-cert and --tls-key together" in result.stderr
