"""``kling-mock serve``: the mock over real HTTP, its clock following real time."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from ._admin import ADMIN_PREFIX
from ._app import create_app
from ._config import DEFAULT_DEV_ACCESS_KEY, DEFAULT_DEV_KEY, DEFAULT_DEV_SECRET_KEY, MockConfig
from ._faults import SCENARIOS
from ._gateways import GATEWAYS
from ._server import server_config
from ._tls import TlsFiles, certificate_names, make_certificate


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kling-mock", description="An offline mock of the Kling image-expansion service."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the mock over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4010)
    serve.add_argument(
        "--api-key",
        action="append",
        metavar="KEY[=ACCOUNT]",
        help=f"accept this bearer key (repeatable; default: {DEFAULT_DEV_KEY}=dev)",
    )
    serve.add_argument(
        "--kling-key",
        action="append",
        metavar="AK:SK[=ACCOUNT]",
        help="accept Kling JWTs signed with SK whose iss is AK (repeatable; default: "
        f"{DEFAULT_DEV_ACCESS_KEY}:{DEFAULT_DEV_SECRET_KEY}=dev)",
    )
    serve.add_argument(
        "--gateway",
        action="append",
        choices=GATEWAYS,
        help="serve this path family (repeatable; default: both, /kling/v1/... and /v1/...)",
    )
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a certificate made now for localhost, 127.0.0.1 and the "
        "--public-base-url host; prints the path of its CA .pem",
    )
    serve.add_argument("--tls-cert", help="serve HTTPS with this certificate chain (PEM)")
    serve.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")
    serve.add_argument(
        "--tls-dir", help="where --tls writes its certificates (default: a new temporary folder)"
    )
    serve.add_argument("--submitted-seconds", type=float, default=MockConfig.submitted_seconds)
    serve.add_argument("--processing-seconds", type=float, default=MockConfig.processing_seconds)
    serve.add_argument(
        "--seed",
        type=int,
        default=MockConfig.seed,
        help="make task ids, request ids, result URL tokens and fault draws repeat "
        "(default: unpredictable, from the operating system)",
    )
    serve.add_argument("--callback-secret", help="sign callbacks (Standard Webhooks, whsec_...)")
    serve.add_argument(
        "--allow-host",
        action="append",
        metavar="HOST",
        help="fetch images from / post callbacks to this host (default: loopback only)",
    )
    serve.add_argument(
        "--fault-rate",
        action="append",
        metavar="SCENARIO=RATE",
        help=f"answer this share of API requests with a fault scenario ({', '.join(SCENARIOS)})",
    )
    serve.add_argument("--public-base-url", help="base of result URLs (default: as requested)")
    serve.add_argument(
        "--frozen-clock",
        action="store_true",
        help=f"time moves only through POST {ADMIN_PREFIX}/clock/advance",
    )
    serve.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help=f"require 'Authorization: Bearer TOKEN' on the admin API under {ADMIN_PREFIX} "
        "(default: open, for a mock only its own tests reach)",
    )
    return parser


def _keys(values: Sequence[str] | None) -> dict[str, str]:
    if not values:
        return {DEFAULT_DEV_KEY: "dev"}
    keys: dict[str, str] = {}
    for value in values:
        key, _, account = value.partition("=")
        keys[key] = account or key
    return keys


def _kling_keys(values: Sequence[str] | None) -> dict[str, tuple[str, str]]:
    if not values:
        return {DEFAULT_DEV_ACCESS_KEY: (DEFAULT_DEV_SECRET_KEY, "dev")}
    keys: dict[str, tuple[str, str]] = {}
    for value in values:
        pair, _, account = value.partition("=")
        access_key, colon, secret_key = pair.partition(":")
        if not colon or not access_key or not secret_key:
            raise SystemExit(f"--kling-key {value[:40]!r}...: expected AK:SK[=ACCOUNT]")
        keys[access_key] = (secret_key, account or access_key)
    return keys


def _rates(values: Sequence[str] | None) -> dict[str, float]:
    rates: dict[str, float] = {}
    for value in values or ():
        name, _, rate = value.partition("=")
        try:
            rates[name] = float(rate)
        except ValueError:
            raise SystemExit(f"--fault-rate {value!r}: expected SCENARIO=RATE") from None
    return rates


def config_from_args(args: argparse.Namespace) -> MockConfig:
    """The MockConfig a command line asks for."""
    return MockConfig(
        api_keys=_keys(args.api_key),
        kling_keys=_kling_keys(args.kling_key),
        gateways=tuple(args.gateway or GATEWAYS),
        submitted_seconds=args.submitted_seconds,
        processing_seconds=args.processing_seconds,
        seed=args.seed,
        callback_secret=args.callback_secret,
        fetch_allowlist=tuple(args.allow_host or MockConfig.fetch_allowlist),
        clock_frozen=args.frozen_clock,
        fault_rates=_rates(args.fault_rate),
        public_base_url=args.public_base_url,
        admin_token=args.admin_token,
        freeze_startup_heap=True,  # this process serves the mock and nothing else
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config = config_from_args(args)
    try:
        app = create_app(config)
    except ValueError as exc:
        print(f"kling-mock: {exc}", file=sys.stderr)
        return 2
    tls = _tls_files(args)
    keys = ", ".join([*config.api_keys, *config.kling_keys])
    scheme = "https" if tls else "http"
    print(f"kling-mock on {scheme}://{args.host}:{args.port} (keys: {keys})", file=sys.stderr)
    if tls is not None and tls.ca_file is not None:
        # stdout, alone on its line: what a script captures to trust the server.
        print(f"kling-mock CA certificate: {tls.ca_file}", flush=True)
    # uvicorn.Server handles SIGTERM and SIGINT: a stop that waits SHUTDOWN_SECONDS at most.
    served = server_config(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        ssl_certfile=str(tls.cert_file) if tls else None,
        ssl_keyfile=str(tls.key_file) if tls else None,
    )
    uvicorn.Server(served).run()
    return 0


def _tls_files(args: argparse.Namespace) -> TlsFiles | None:
    """The certificate to serve: the one given, one made now (``--tls``), or none."""
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SystemExit("kling-mock: give --tls-cert and --tls-key together")
    if args.tls_cert:
        return TlsFiles(cert_file=Path(args.tls_cert), key_file=Path(args.tls_key))
    if not args.tls:
        return None
    directory = Path(args.tls_dir or tempfile.mkdtemp(prefix="kling-mock-tls-"))
    return make_certificate(directory, certificate_names(args.public_base_url, args.host))
