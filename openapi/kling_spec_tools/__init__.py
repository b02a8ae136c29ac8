"""The spec's build tooling: overlay resolution, upstream page extraction, spec diffs.

It works on a spec folder the caller names (see :class:`SpecFiles`) and needs the
distribution's ``spec`` extra (PyYAML, jsonpath-ng, openapi-spec-validator), imported
only when a function needs them. The command line is ``kling-spec``.

>>> from kling_spec_tools import extract_spec_text
>>> extract_spec_text("openapi: 3.1.0\\n")
'openapi: 3.1.0\\n'
"""

from importlib.metadata import version as _version

from ._cli import build_resolved, resolve_spec
from ._diff import SpecChange, diff_specs
from ._files import SpecFiles
from ._overlay import apply_overlay, hoist_components
from ._page import extract_spec_text

__version__ = _version("kling-expand-toolkit")

__all__ = [
    "SpecChange",
    "SpecFiles",
    "apply_overlay",
    "build_resolved",
    "diff_specs",
    "extract_spec_text",
    "hoist_components",
    "resolve_spec",
]
