"""``kling-spec``: resolve the spec, check it, take a new upstream copy, diff two specs.

Every command works on a spec folder (``--root``, ``./openapi`` by default) holding
``upstream/kling-image-expansion.yaml`` with its ``.sha256`` and ``overlay.yaml``.

Examples::

    kling-spec resolve                      # upstream + overlay -> resolved YAML and JSON
    kling-spec resolve --check              # fail if the committed files are stale
    kling-spec --root specs update page.txt # vendor a new upstream copy, print the diff
    kling-spec update page.txt --accept-breaking  # vendor it even if it breaks clients
    kling-spec update page.txt --json       # the diff as JSON, for other tools
    kling-spec diff old.yaml new.yaml       # what changed, each change marked breaking or not

Exit status: 0 done; 1 refused (update: the new copy has breaking changes and
was not vendored; diff --fail-on-breaking: breaking changes; resolve: a broken
reference, one line each, nothing written; resolve --check: stale files); 2 bad
input (a missing file, not a spec, the spec extra not installed).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from importlib.metadata import version
from pathlib import Path
from typing import Any

from kling_spec import SpecError

from . import _files
from ._check import ReferencesBroken, Unmatched, check_references
from ._diff import SpecChange, diff_specs
from ._files import SpecFiles
from ._overlay import apply_overlay, hoist_components
from ._page import extract_spec_text

DEFAULT_ROOT = Path("openapi")
# The packages the tooling needs beyond the runtime: the distribution's `spec` extra.
_EXTRA_HINT = "install kling-expand-toolkit[spec]"


def resolve_spec(
    upstream: dict[str, Any],
    overlay: dict[str, Any],
    digest: str,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Upstream spec + overlay -> the resolved spec (pure, deterministic).

    Raises :class:`ReferencesBroken` listing every reference of the overlay or the
    runtime the result would break, each explained from its diff against
    ``previous`` (the last resolved spec, when there is one).
    """
    unmatched: list[Unmatched] = []
    resolved = hoist_components(apply_overlay(upstream, overlay, unmatched=unmatched))
    resolved["info"] = {**resolved.get("info", {}), "x-kling-upstream-sha256": digest}
    problems = check_references(resolved, overlay, unmatched, previous)
    if problems:
        raise ReferencesBroken(problems)
    return resolved


def _validate(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(document)


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise SpecError(f"no {what} at {path} (--root names the spec folder; default ./openapi)")
    return path


def build_resolved(files: SpecFiles) -> dict[str, Any]:
    """Read the vendored files, check the upstream digest, and resolve."""
    raw = _require(files.upstream, "upstream spec").read_bytes()
    _require(files.upstream_digest, "recorded upstream SHA-256")
    _require(files.overlay, "overlay")
    digest = _files.sha256_of(raw)
    if digest != _files.recorded_digest(files.upstream):
        raise SpecError(
            f"{files.upstream} does not match its recorded SHA-256: the upstream copy is "
            "never edited by hand; take a new one with `kling-spec update SRC`"
        )
    previous = _previous(files)
    resolved = resolve_spec(
        _files.load_yaml_text(raw), _files.load_yaml_file(files.overlay), digest, previous
    )
    _validate(resolved)
    return resolved


def _previous(files: SpecFiles) -> dict[str, Any] | None:
    """The last resolved spec written here, to explain what an upstream change broke."""
    try:
        loaded = json.loads(files.resolved_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _cmd_resolve(args: argparse.Namespace, files: SpecFiles) -> int:
    resolved = build_resolved(files)
    outputs = {
        files.resolved_yaml: _files.dump_yaml(resolved),
        files.resolved_json: _files.dump_json(resolved),
    }
    stale = [p for p, text in outputs.items() if not p.is_file() or p.read_text("utf-8") != text]
    if args.check:
        for path in stale:
            print(f"stale: {path} (run `kling-spec resolve`)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {files.resolved_yaml} and {files.resolved_json}")
    return 0


def _read_source(source: str) -> str:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 - user's URL
            return str(response.read().decode("utf-8"))
    # Bytes, decoded without newline translation: the vendored copy stays byte for byte.
    return Path(source).read_bytes().decode("utf-8")


def _cmd_update(args: argparse.Namespace, files: SpecFiles) -> int:
    text = extract_spec_text(_read_source(args.source))
    new = _files.load_yaml_text(text)
    if not isinstance(new, dict) or "openapi" not in new:
        raise SpecError("the new copy is not an OpenAPI document")
    upstream = Path(args.upstream) if args.upstream else files.upstream
    if not upstream.parent.is_dir():
        raise SpecError(f"no folder {upstream.parent} (--root names the spec folder)")
    old = _files.load_yaml_file(upstream) if upstream.is_file() else {}
    changes = diff_specs(old, new)
    breaking = sum(change.breaking for change in changes)
    vendored = not breaking or args.accept_breaking
    if vendored:
        data = text.encode("utf-8")
        upstream.write_bytes(data)
        _files.digest_path(upstream).write_text(
            f"{_files.sha256_of(data)}  {upstream.name}\n", encoding="ascii"
        )
    if args.json:
        print(_changes_json(changes, vendored=vendored, source=args.source))
        return 0 if vendored else 1
    for change in changes:
        print(change)
    summary = f"{len(changes)} change(s), {breaking} breaking."
    if vendored:
        print(f"{summary} Next: kling-spec resolve")
        return 0
    print(
        f"{summary} Not vendored: {upstream} is unchanged. To take it anyway, run again with "
        "--accept-breaking (make update-spec SRC=... ACCEPT=1), then kling-spec resolve",
        file=sys.stderr,
    )
    return 1


def _changes_json(changes: list[SpecChange], **fields: Any) -> str:
    """The diff as one JSON object: ``changes`` (where, what, breaking), counts, and ``fields``."""
    return json.dumps(
        {
            **fields,
            "breaking": sum(change.breaking for change in changes),
            "changes": [
                {"where": c.where, "what": c.what, "breaking": c.breaking} for c in changes
            ],
        },
        indent=2,
    )


def _cmd_diff(args: argparse.Namespace, files: SpecFiles) -> int:
    old, new = (_files.load_yaml_file(_require(Path(p), "spec")) for p in (args.old, args.new))
    changes = diff_specs(old, new)
    if args.json:
        print(_changes_json(changes))
    else:
        for change in changes:
            print(change)
    return 1 if args.fail_on_breaking and any(c.breaking for c in changes) else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kling-spec",
        description=(__doc__ or "").split("\n")[0],
        epilog="Exit status:" + (__doc__ or "").partition("Exit status:")[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version("kling-expand-toolkit"))
    parser.add_argument(
        "--root",
        type=Path,
        default=DEFAULT_ROOT,
        help="the spec folder (upstream/, overlay.yaml, the resolved files); default ./openapi",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    resolve = commands.add_parser("resolve", help="apply the overlay and write the resolved spec")
    resolve.add_argument("--check", action="store_true", help="only fail if the files are stale")
    resolve.set_defaults(run=_cmd_resolve)
    update = commands.add_parser(
        "update",
        help="vendor a new upstream page or spec (refused with exit 1 if it breaks clients)",
        description=(
            "Vendor a new upstream copy and print its structural diff against the current "
            "one. A copy with breaking changes is not vendored (exit 1) unless "
            "--accept-breaking is given, so a CI job stops on it."
        ),
    )
    update.add_argument("source", help="a file or an http(s) URL")
    update.add_argument(
        "--accept-breaking",
        action="store_true",
        help="vendor the copy even if it has breaking changes (make update-spec ... ACCEPT=1)",
    )
    update.add_argument(
        "--json",
        action="store_true",
        help='print the diff as JSON: {"source", "vendored", "breaking", "changes": '
        '[{"where", "what", "breaking"}]}',
    )
    update.add_argument("--upstream", default=None, help=argparse.SUPPRESS)
    update.set_defaults(run=_cmd_update)
    diff = commands.add_parser("diff", help="structural diff of two spec files")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--fail-on-breaking", action="store_true", help="exit 1 on breaking changes")
    diff.add_argument(
        "--json", action="store_true", help='the diff as JSON: {"breaking", "changes": [...]}'
    )
    diff.set_defaults(run=_cmd_diff)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args, SpecFiles.in_folder(args.root)))
    except ReferencesBroken as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(
            f"{len(exc.problems)} broken reference(s); nothing written. Fix "
            f"{SpecFiles.in_folder(args.root).overlay} and run `kling-spec resolve` again.",
            file=sys.stderr,
        )
        return 1
    except ModuleNotFoundError as exc:
        print(f"error: kling-spec needs {exc.name}: {_EXTRA_HINT}", file=sys.stderr)
        return 2
    except (SpecError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
