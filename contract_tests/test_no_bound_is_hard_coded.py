"""No hand-written source restates a limit the spec states.

A literal copy of a bound would keep the old value when the spec changes. Two
proofs: this scan of the source for the spec's distinctive numbers and texts,
and the properties in this folder, which run on spec copies with bounds moved
(ratios, n, prompt, area factor) and would fail wherever code kept the old ones.
One-digit integers are everywhere for other reasons (indices, byte offsets,
base64's 4/3, pairs of fields), so the scan leaves those bounds (ratio maximum,
n, area factor) to the properties.
"""

import ast
import operator
import re
from fractions import Fraction
from pathlib import Path

import pytest

from .oracle import SpecBounds

ROOT = Path(__file__).resolve().parent.parent
HAND_WRITTEN = ("openapi/kling_spec", "sdk/kling_expand", "mock_server/kling_mock")
_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
}


def distinctive_bounds(bounds: SpecBounds) -> dict[Fraction, str]:
    named = {
        bounds.n_max: "n maximum",
        bounds.n_min: "n minimum",
        bounds.prompt_max: "prompt max_length",
        bounds.max_area_factor: "max_area_factor",
        bounds.max_bytes: "image max_bytes",
        bounds.min_side: "image min_side_px",
        bounds.aspect_max: "aspect ratio maximum",
        1 / bounds.aspect_min: "aspect ratio minimum (inverted)",
    }
    for name in bounds.ratio_fields:
        named[bounds.ratio_max[name]] = f"{name} maximum"
    return {Fraction(v): label for v, label in named.items() if not is_generic(Fraction(v))}


def is_generic(value: Fraction) -> bool:
    return value.denominator == 1 and abs(value) < 10


def constant_value(node: ast.AST) -> Fraction | None:
    """The value of a number literal or of arithmetic on literals only (``10 * 1024 * 1024``)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = constant_value(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = constant_value(node.left), constant_value(node.right)
        if left is None or right is None:
            return None
        try:
            return Fraction(_OPERATORS[type(node.op)](left, right))
        except (ZeroDivisionError, TypeError, ValueError, OverflowError):
            return None
    return None


def http_status_classes(tree: ast.AST) -> set[int]:
    """Literals in ``200 <= status < 300``-style comparisons: HTTP status classes, not bounds."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            literals = [n for n in [node.left, *node.comparators] if isinstance(n, ast.Constant)]
            values = [n.value for n in literals]
            if len(literals) >= 2 and all(v in range(100, 600, 100) for v in values):
                found.update(id(n) for n in literals)
    return found


def docstring_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                found.add(id(body[0].value))
    return found


def restated_bounds(source: str, bounds: SpecBounds) -> list[str]:
    """Each place in ``source`` that writes one of the spec's distinctive bounds."""
    numbers = distinctive_bounds(bounds)
    words = [f"{v.numerator}" if v.denominator == 1 else f"{float(v):g}" for v in numbers]
    word_pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, words)) + r")(?![\w])")
    tree = ast.parse(source)
    docstrings = docstring_nodes(tree)
    status_classes = http_status_classes(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in status_classes:
            continue
        value = constant_value(node)
        if value is not None and value in numbers:
            found.append(f"line {node.lineno}: {ast.unparse(node)} is the {numbers[value]}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and word_pattern.search(node.value):
                found.append(f"line {node.lineno}: {node.value!r} states a bound")
    return found


# Literals that equal a bound by coincidence, each with what it really is.
COINCIDENCES = {
    ("openapi/kling_spec/_validation.py", "300"): "the length an error message is cut to",
}


def hand_written_sources() -> list[Path]:
    return sorted(p for folder in HAND_WRITTEN for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", hand_written_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_hand_written_module_restates_a_bound(path: Path, resolved_spec) -> None:
    bounds = SpecBounds.read(resolved_spec)
    where = str(path.relative_to(ROOT))

    found = restated_bounds(path.read_text(encoding="utf-8"), bounds)

    assert [f for f in found if (where, literal_of(f)) not in COINCIDENCES] == []


def literal_of(finding: str) -> str:
    """The literal a finding reports (``line 7: 300 is ...`` -> ``300``)."""
    return finding.split(": ", 1)[1].split(" ", 1)[0]


@pytest.mark.parametrize(
    "snippet",
    [
        "LIMIT = 2500",
        "MAX_BYTES = 10 * 1024 * 1024",
        "TOO_WIDE = 5 / 2",
        "if min(width, height) < 300: pass",
        "message = f'at most 2500 characters, got {n}'",
        "ASPECT = '2.5:1'",
    ],
)
def test_the_scan_finds_a_restated_bound(snippet: str, resolved_spec) -> None:
    assert restated_bounds(snippet, SpecBounds.read(resolved_spec)) != []


def test_the_scan_ignores_docstrings_and_generic_numbers(resolved_spec) -> None:
    source = (
        '"""Prompts hold up to 2500 characters."""\n'
        "pair = items[:2]\n"
        "quarter = n * 3 // 4\n"
        "ok = 200 <= status < 300\n"
    )

    assert restated_bounds(source, SpecBounds.read(resolved_spec)) == []
