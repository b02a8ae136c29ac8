"""``kling-mock serve``: the mock over real HTTP, its clock following real time."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn

from ._admin import ADMIN_PREFIX
from ._app import create_app
from ._config import DEFAULT_DEV_KEY, MockConfig
from ._faults import SCENARIOS
from ._server import server_config


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
    serve.add_argument("--submitted-seconds", type=float, default=MockConfig.submitted_seconds)
    serve.add_argument("--processing-seconds", type=float, default=MockConfig.processing_seconds)
    serve.add_argument("--seed", type=int, default=MockConfig.seed)
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
    keys = ", ".join(config.api_keys)
    print(f"kling-mock on http://{args.host}:{args.port} (keys: {keys})", file=sys.stderr)
    # uvicorn.Server handles SIGTERM and SIGINT: a stop that waits SHUTDOWN_SECONDS at most.
    uvicorn.Server(server_config(app, host=args.host, port=args.port, log_level="info")).run()
    return 0
