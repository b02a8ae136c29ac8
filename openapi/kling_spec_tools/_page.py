"""Take the OpenAPI document out of an upstream documentation page."""

from __future__ import annotations

import re

# CometAPI's pages carry the spec in a fenced block opened by four (or three) backticks
# and the word yaml; the fence's closing backticks end it.
_FENCED_YAML = re.compile(r"(`{3,})yaml[^\n]*\n(.*?)\1", re.S)


def extract_spec_text(text: str) -> str:
    """Return the spec's YAML text from a documentation page, or ``text`` if it is a spec already.

    >>> extract_spec_text("intro\\n````yaml x\\nopenapi: 3.1.0\\n````\\n")
    'openapi: 3.1.0\\n'
    """
    match = _FENCED_YAML.search(text)
    if match:
        return match.group(2)
    if re.search(r"^openapi:\s", text, re.M) or text.lstrip().startswith("{"):
        return text
    raise ValueError("no OpenAPI YAML block found in the page")
