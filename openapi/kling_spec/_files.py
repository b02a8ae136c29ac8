"""Where the spec files live, and how they are read and written deterministically."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

RESOLVED_NAME = "kling-image-expansion"
OPENAPI_DIR = Path(__file__).resolve().parent.parent
UPSTREAM_SPEC = OPENAPI_DIR / "upstream" / f"{RESOLVED_NAME}.yaml"


def digest_path(spec: Path) -> Path:
    """Where the SHA-256 of a vendored spec is recorded: beside it, with ``.sha256`` added."""
    return spec.with_name(spec.name + ".sha256")


UPSTREAM_DIGEST = digest_path(UPSTREAM_SPEC)
OVERLAY = OPENAPI_DIR / "overlay.yaml"
RESOLVED_YAML = OPENAPI_DIR / f"{RESOLVED_NAME}.yaml"
RESOLVED_JSON = OPENAPI_DIR / f"{RESOLVED_NAME}.json"

# YAML 1.1 readers take these bare words for booleans; the spec has a field named
# `n`, so such keys and values are always written quoted.
_YAML11_BOOLEAN_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false"}


class _SpecDumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if value.lower() in _YAML11_BOOLEAN_WORDS:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_str(value)


_SpecDumper.add_representer(str, _represent_str)


def dump_yaml(document: Any) -> str:
    """The spec as YAML, the same text for the same document every time."""
    return yaml.dump(document, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True, width=100)


def dump_json(document: Any) -> str:
    """The spec as JSON, the same text for the same document every time."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load_yaml_file(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recorded_digest(spec: Path = UPSTREAM_SPEC) -> str:
    """The SHA-256 written beside a vendored spec when it was vendored."""
    return digest_path(spec).read_text(encoding="ascii").split()[0]


def load_resolved_spec(path: Path | None = None) -> dict[str, Any]:
    """The resolved spec as a dict: from ``path``, the package data, or the source tree.

    >>> spec = load_resolved_spec()
    >>> "/kling/v1/images/editing/expand" in spec["paths"]
    True
    """
    if path is not None:
        text = Path(path).read_text(encoding="utf-8")
        loaded = json.loads(text) if Path(path).suffix == ".json" else yaml.safe_load(text)
    else:
        packaged = resources.files(__package__).joinpath(RESOLVED_JSON.name)
        source = packaged if packaged.is_file() else RESOLVED_JSON
        loaded = json.loads(source.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError("the resolved spec is not a JSON object")
    return loaded
