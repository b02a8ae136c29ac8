"""The spec folder's files, and how they are read and written deterministically.

A spec folder (``--root``, ``./openapi`` by default) holds the vendored upstream copy
``upstream/kling-image-expansion.yaml`` with its ``.sha256``, ``overlay.yaml``, and
the resolved ``kling-image-expansion.{yaml,json}`` written from them.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kling_spec._files import RESOLVED_JSON_NAME, RESOLVED_NAME, RESOLVED_YAML_NAME

if TYPE_CHECKING:
    import yaml

# YAML 1.1 readers take these bare words for booleans; the spec has a field named
# `n`, so such keys and values are always written quoted.
_YAML11_BOOLEAN_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false"}


def digest_path(spec: Path) -> Path:
    """Where the SHA-256 of a vendored spec is recorded: beside it, with ``.sha256`` added."""
    return spec.with_name(spec.name + ".sha256")


@dataclass(frozen=True)
class SpecFiles:
    """The files of one spec folder.

    >>> files = SpecFiles.in_folder(Path("openapi"))
    >>> files.upstream.as_posix(), files.resolved_json.name
    ('openapi/upstream/kling-image-expansion.yaml', 'kling-image-expansion.json')
    """

    upstream: Path
    overlay: Path
    resolved_yaml: Path
    resolved_json: Path

    @classmethod
    def in_folder(cls, root: Path) -> SpecFiles:
        return cls(
            upstream=root / "upstream" / f"{RESOLVED_NAME}.yaml",
            overlay=root / "overlay.yaml",
            resolved_yaml=root / RESOLVED_YAML_NAME,
            resolved_json=root / RESOLVED_JSON_NAME,
        )

    @property
    def upstream_digest(self) -> Path:
        return digest_path(self.upstream)


@functools.cache
def _dumper() -> type[yaml.SafeDumper]:
    # PyYAML comes with the tooling's extra: imported when a command first needs it.
    import yaml

    class SpecDumper(yaml.SafeDumper):
        pass

    def represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        if value.lower() in _YAML11_BOOLEAN_WORDS:
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
        if "\n" in value:
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
        return dumper.represent_str(value)

    SpecDumper.add_representer(str, represent_str)
    return SpecDumper


def dump_yaml(document: Any) -> str:
    """The spec as YAML, the same text for the same document every time."""
    import yaml

    return yaml.dump(document, Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=100)


def dump_json(document: Any) -> str:
    """The spec as JSON, the same text for the same document every time."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load_yaml_text(text: str | bytes) -> Any:
    import yaml

    return yaml.safe_load(text)


def load_yaml_file(path: Path) -> Any:
    return load_yaml_text(path.read_text(encoding="utf-8"))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recorded_digest(spec: Path) -> str:
    """The SHA-256 written beside a vendored spec when it was vendored."""
    return digest_path(spec).read_text(encoding="ascii").split()[0]
