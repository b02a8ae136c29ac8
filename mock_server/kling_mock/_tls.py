"""HTTPS for the mock: a throwaway certificate authority (trustme) and its server certificate.

The CA's certificate is written to a ``.pem`` file so clients can trust it:
``NODE_EXTRA_CA_CERTS``, ``SSL_CERT_FILE`` or ``httpx.Client(verify=...)``.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import trustme

#: The names every generated certificate covers.
DEFAULT_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    """Where a server's certificate chain and key are, and the CA that signed them."""

    cert_file: Path
    key_file: Path
    ca_file: Path | None = None


def certificate_names(public_base_url: str | None = None, *extra: str) -> tuple[str, ...]:
    """The host names and addresses a certificate for this server must cover.

    >>> certificate_names("https://images.kling-mock.example:8443")
    ('localhost', '127.0.0.1', '::1', 'images.kling-mock.example')
    """
    names = list(DEFAULT_NAMES) + list(extra)
    if public_base_url:
        host = urllib.parse.urlsplit(public_base_url).hostname
        if host:
            names.append(host)
    return tuple(dict.fromkeys(_normalized(name) for name in names))


def _normalized(name: str) -> str:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name.lower()


def make_certificate(directory: Path, names: tuple[str, ...]) -> TlsFiles:
    """A new CA and a server certificate for ``names``, written under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="kling-mock")
    server = ca.issue_cert(*names)
    ca_file = directory / "kling-mock-ca.pem"
    cert_file = directory / "kling-mock-cert.pem"
    key_file = directory / "kling-mock-key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server.private_key_pem.write_to_path(str(key_file))
    cert_file.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    key_file.chmod(0o600)
    return TlsFiles(cert_file=cert_file, key_file=key_file, ca_file=ca_file)
