"""``python -m kling_spec``: where the packaged resolved spec is, for your own generators.

Examples::

    python -m kling_spec path           # the resolved spec (JSON) this install reads
    python -m kling_spec path --yaml    # the same spec as YAML

``KLING_RESOLVED_SPEC=FILE`` makes this install read FILE instead (see ``kling_spec``).

Resolving, checking and updating the spec is ``kling-spec`` (``kling_spec_tools``).
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import version

from ._errors import SpecError
from ._files import resolved_spec_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kling_spec", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--version", action="version", version=version("kling-expand-toolkit"))
    commands = parser.add_subparsers(dest="command", required=True)
    path = commands.add_parser("path", help="print the path of the packaged resolved spec")
    path.add_argument("--yaml", action="store_true", help="the YAML copy instead of the JSON")
    args = parser.parse_args(argv)
    try:
        found = resolved_spec_path(".yaml" if args.yaml else ".json")
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not found.is_file():
        print(f"error: no resolved spec at {found}", file=sys.stderr)
        return 2
    print(found)
    return 0
