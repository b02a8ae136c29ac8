"""``python -m kling_spec``: resolve the spec, check it, take a new upstream copy.

Examples::

    python -m kling_spec resolve            # upstream + overlay -> resolved YAML and JSON
    python -m kling_spec resolve --check    # fail if the committed files are stale
    python -m kling_spec update page.txt    # vendor a new upstream copy, print the diff
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from . import _files
from ._diff import diff_specs
from ._errors import SpecError
from ._overlay import apply_overlay, hoist_components
from ._page import extract_spec_text


def resolve_spec(upstream: dict[str, Any], overlay: dict[str, Any], digest: str) -> dict[str, Any]:
    """Upstream spec + overlay -> the resolved spec (pure, deterministic)."""
    resolved = hoist_components(apply_overlay(upstream, overlay))
    resolved["info"] = {**resolved.get("info", {}), "x-kling-upstream-sha256": digest}
    return resolved


def _validate(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(document)


def build_resolved(
    upstream_path: Path = _files.UPSTREAM_SPEC, overlay_path: Path = _files.OVERLAY
) -> dict[str, Any]:
    """Read the vendored files, check the upstream digest, and resolve."""
    raw = upstream_path.read_bytes()
    digest = _files.sha256_of(raw)
    if digest != _files.recorded_digest(upstream_path):
        raise SpecError(
            f"{upstream_path} does not match its recorded SHA-256: the upstream copy is "
            "never edited by hand; take a new one with `make update-spec SRC=...`"
        )
    resolved = resolve_spec(yaml.safe_load(raw), _files.load_yaml_file(overlay_path), digest)
    _validate(resolved)
    return resolved


def _cmd_resolve(args: argparse.Namespace) -> int:
    resolved = build_resolved()
    outputs = {
        _files.RESOLVED_YAML: _files.dump_yaml(resolved),
        _files.RESOLVED_JSON: _files.dump_json(resolved),
    }
    stale = [p for p, text in outputs.items() if not p.is_file() or p.read_text("utf-8") != text]
    if args.check:
        for path in stale:
            print(f"stale: {path} (run `make spec`)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {_files.RESOLVED_YAML.name} and {_files.RESOLVED_JSON.name}")
    return 0


def _read_source(source: str) -> str:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 - user's URL
            return str(response.read().decode("utf-8"))
    # Bytes, decoded without newline translation: the vendored copy stays byte for byte.
    return Path(source).read_bytes().decode("utf-8")


def _cmd_update(args: argparse.Namespace) -> int:
    text = extract_spec_text(_read_source(args.source))
    new = yaml.safe_load(text)
    if not isinstance(new, dict) or "openapi" not in new:
        raise SpecError("the new copy is not an OpenAPI document")
    upstream = Path(args.upstream)
    old = _files.load_yaml_file(upstream) if upstream.is_file() else {}
    data = text.encode("utf-8")
    upstream.write_bytes(data)
    _files.digest_path(upstream).write_text(
        f"{_files.sha256_of(data)}  {upstream.name}\n", encoding="ascii"
    )
    changes = diff_specs(old, new)
    for change in changes:
        print(change)
    breaking = sum(change.breaking for change in changes)
    print(f"{len(changes)} change(s), {breaking} breaking. Next: make spec generate test")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    old, new = (_files.load_yaml_file(Path(p)) for p in (args.old, args.new))
    changes = diff_specs(old, new)
    for change in changes:
        print(change)
    return 1 if args.fail_on_breaking and any(c.breaking for c in changes) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kling_spec", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    resolve = commands.add_parser("resolve", help="apply the overlay and write the resolved spec")
    resolve.add_argument("--check", action="store_true", help="only fail if the files are stale")
    resolve.set_defaults(run=_cmd_resolve)
    update = commands.add_parser("update", help="vendor a new upstream page or spec")
    update.add_argument("source", help="a file or an http(s) URL")
    update.add_argument("--upstream", default=str(_files.UPSTREAM_SPEC), help=argparse.SUPPRESS)
    update.set_defaults(run=_cmd_update)
    diff = commands.add_parser("diff", help="structural diff of two spec files")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--fail-on-breaking", action="store_true")
    diff.set_defaults(run=_cmd_diff)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (SpecError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
