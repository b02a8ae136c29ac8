"""Where the resolved spec lives, and how it is read.

The runtime reads the resolved spec as JSON, packaged beside this module in a wheel
(or from the source tree in a checkout). Resolving it is the tooling's job
(``kling_spec_tools``), which needs packages the runtime does not.

``KLING_RESOLVED_SPEC``, when set, names another resolved spec (JSON, or YAML with
the ``spec`` extra) that every default reader uses instead: the SDK, the CLI and
the mock then follow a spec change before it is packaged, e.g.
``KLING_RESOLVED_SPEC=specs/kling-image-expansion.json kling-expand demo``.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from ._errors import SpecError

RESOLVED_NAME = "kling-image-expansion"
RESOLVED_JSON_NAME = f"{RESOLVED_NAME}.json"
RESOLVED_YAML_NAME = f"{RESOLVED_NAME}.yaml"
# In a checkout the resolved files sit in the folder above the package.
_SOURCE_TREE = Path(__file__).resolve().parent.parent
# Names a resolved spec to read instead of the packaged one.
SPEC_ENV = "KLING_RESOLVED_SPEC"


def resolved_spec_path(suffix: str = ".json") -> Path:
    """The resolved spec this package reads: ``$KLING_RESOLVED_SPEC``, else the packaged one.

    The packaged one is beside this module in a wheel, else in the source tree.
    With the variable set, ``suffix`` picks that file's sibling of that suffix.

    >>> resolved_spec_path().name
    'kling-image-expansion.json'
    """
    chosen = os.environ.get(SPEC_ENV)
    if chosen:
        path = Path(chosen)
        path = path if path.suffix == suffix or suffix == ".json" else path.with_suffix(suffix)
        if not path.is_file():
            raise SpecError(f"{SPEC_ENV} names {path}, which is not a file")
        return path
    name = RESOLVED_NAME + suffix
    packaged = resources.files(__package__).joinpath(name)
    if packaged.is_file():
        return Path(str(packaged))
    return _SOURCE_TREE / name


def load_resolved_spec(path: Path | None = None) -> dict[str, Any]:
    """The resolved spec as a dict: from ``path``, the package data, or the source tree.

    A ``.json`` file is read as JSON; any other suffix is read as YAML, which needs
    PyYAML (the ``spec`` extra).

    >>> spec = load_resolved_spec()
    >>> "/kling/v1/images/editing/expand" in spec["paths"]
    True
    """
    source = resolved_spec_path() if path is None else Path(path)
    text = source.read_text(encoding="utf-8")
    loaded = json.loads(text) if source.suffix == ".json" else _load_yaml(text, source)
    if not isinstance(loaded, dict):
        raise ValueError("the resolved spec is not a JSON object")
    return loaded


def _load_yaml(text: str, source: Path) -> Any:
    # Only a YAML file the caller names needs PyYAML: the packaged spec is JSON.
    try:
        import yaml
    except ModuleNotFoundError:
        raise SpecError(
            f"{source} is YAML, which needs PyYAML: install kling-expand-toolkit[spec], "
            "or pass the resolved JSON"
        ) from None
    return yaml.safe_load(text)
