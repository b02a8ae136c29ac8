"""No hand-written source restates a limit the spec states.

A literal copy of a bound would keep the old value when the spec changes. Two
proofs cover every bound: this scan of the source, and the properties in this
folder, which run on spec copies with bounds moved and fail wherever code kept
an old value. How each bound is covered:

- distinctive values (the prompt's ``max_length``, ``max_bytes``,
  ``min_side_px``, both aspect limits, as numbers or in strings): in the
  packages (kling_spec, the SDK, the mock, the benchmarks) the scan reports any
  literal or arithmetic on literals that equals one, outside docstrings and
  HTTP status classes; in ``tests/``, where concrete example values are the
  norm, only a literal tied to the quantity's name (below). The moved prompt
  limit is also a spec copy.
- small maxima (a ratio's ``maximum``, ``n``'s ``maximum``, ``max_area_factor``):
  pairs and triples are everywhere, so the scan reports one only where it is
  tied to a name of the same quantity, in every scanned folder: compared with
  such a name (``n > 9``), passed as such a keyword (``n=9``), assigned to one
  (``MAX_AREA = 3``) or its parameter default. Spec copies also move each of
  them (ratios x1.5 with the area x2, ratios halved, n halved, area minus one).
- the minimums (a ratio's ``minimum``, ``n``'s ``minimum``): 0 and 1 are also
  "no expansion" and "one image", which code rightly writes, so the scan leaves
  them to the spec copies that raise each minimum: a hard-coded 0 or 1 then
  accepts what the copy refuses, and the agreement properties fail.
"""

import ast
import operator
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

from .oracle import SpecBounds

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "openapi/kling_spec",
    "openapi/kling_spec_tools",
    "sdk/kling_expand",
    "mock_server/kling_mock",
    "bench/kling_bench",
)
TESTS = ("tests",)
TESTS_PREFIX = "tests/"
_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
}
# The words a name uses for each quantity a bound limits (names split at "_").
QUANTITY_WORDS = {
    "ratio": {"ratio", "ratios", "expansion", "up", "down", "left", "right"},
    "n": {"n", "images"},
    "prompt": {"prompt", "length", "chars", "characters"},
    "area": {"area", "factor"},
    "bytes": {"bytes"},
    "side": {"side", "sides", "width", "height", "px"},
    "aspect": {"aspect"},
}
_COMPARISONS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)


@dataclass(frozen=True)
class Bound:
    label: str
    quantity: str
    #: whether a bare literal anywhere in a package counts (else only one tied to a name)
    distinctive: bool


def scanned_bounds(bounds: SpecBounds) -> dict[Fraction, list[Bound]]:
    """Every bound the scan looks for, by value (see the module's docstring)."""
    named: list[tuple[Fraction | int, Bound]] = [
        (bounds.prompt_max, Bound("prompt max_length", "prompt", True)),
        (bounds.max_bytes, Bound("image max_bytes", "bytes", True)),
        (bounds.min_side, Bound("image min_side_px", "side", True)),
        (bounds.aspect_max, Bound("aspect ratio maximum", "aspect", True)),
        (bounds.aspect_min, Bound("aspect ratio minimum", "aspect", True)),
        (1 / bounds.aspect_min, Bound("aspect ratio minimum (inverted)", "aspect", True)),
        (bounds.n_max, Bound("n maximum", "n", False)),
        (bounds.max_area_factor, Bound("max_area_factor", "area", False)),
    ]
    named += [
        (bounds.ratio_max[f], Bound(f"{f} maximum", "ratio", False)) for f in bounds.ratio_fields
    ]
    found: dict[Fraction, list[Bound]] = {}
    for value, bound in named:
        same = found.setdefault(Fraction(value), [])
        if all(other.quantity != bound.quantity for other in same):
            same.append(bound)
    return found


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
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            literals = [n for n in [node.left, *node.comparators] if isinstance(n, ast.Constant)]
            values = [n.value for n in literals]
            if len(literals) >= 2 and all(v in range(100, 600, 100) for v in values):
                found.update(id(n) for n in literals)
    return found


def docstring_nodes(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                found.add(id(body[0].value))
    return found


def words(name: str) -> set[str]:
    return set(name.lower().split("_"))


def words_in(node: ast.AST) -> set[str]:
    """The words of every name an expression mentions (``body["n"]`` mentions ``n``)."""
    found: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found |= words(child.id)
        elif isinstance(child, ast.Attribute):
            found |= words(child.attr)
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            if child.value.isidentifier():
                found |= words(child.value)
    return found


def tied_literals(tree: ast.AST) -> list[tuple[ast.AST, set[str], str]]:
    """Each literal tied to names, with their words and how: compared with them, passed as
    their keyword, assigned to them, or their parameter's default."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and all(isinstance(o, _COMPARISONS) for o in node.ops):
            operands = [node.left, *node.comparators]
            for literal in operands:
                if constant_value(literal) is not None:
                    others = set().union(*(words_in(o) for o in operands if o is not literal))
                    found.append((literal, others, "compared"))
        elif isinstance(node, ast.keyword) and node.arg:
            found.append((node.value, words(node.arg), f"passed as {node.arg}="))
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.append((node.value, set().union(*map(words_in, targets)), "assigned"))
        elif isinstance(node, ast.arguments):
            positional = node.posonlyargs + node.args
            pairs = zip(
                positional[len(positional) - len(node.defaults) :], node.defaults, strict=True
            )
            for arg, default in [*pairs, *zip(node.kwonlyargs, node.kw_defaults, strict=True)]:
                if default is not None:
                    found.append((default, words(arg.arg), f"the default of {arg.arg}"))
    return [(lit, names, how) for lit, names, how in found if constant_value(lit) is not None]


def restated_bounds(source: str, bounds: SpecBounds, *, package: bool = True) -> list[str]:
    """Each place in ``source`` that writes one of the spec's bounds (see the docstring);
    ``package`` False scans as for ``tests/``."""
    scanned = scanned_bounds(bounds)
    tree = ast.parse(source)
    status_classes = http_status_classes(tree)
    found, tied = [], set()
    for literal, names, how in tied_literals(tree):
        for bound in scanned.get(constant_value(literal), []):  # type: ignore[arg-type]
            if names & QUANTITY_WORDS[bound.quantity] and id(literal) not in status_classes:
                tied.add(id(literal))
                text = ast.unparse(literal)
                found.append(
                    f"line {getattr(literal, 'lineno', '?')}: {text} {how} is the {bound.label}"
                )
    if not package:
        return sorted(set(found))
    distinctive = {v: b for v, bs in scanned.items() for b in bs if b.distinctive}
    texts = [f"{v.numerator}" if v.denominator == 1 else f"{float(v):g}" for v in distinctive]
    text_pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, texts)) + r")(?![\w])")
    docstrings = docstring_nodes(tree)
    for node in ast.walk(tree):
        value = constant_value(node)
        if value in distinctive and id(node) not in status_classes | tied:
            line = getattr(node, "lineno", "?")
            found.append(f"line {line}: {ast.unparse(node)} is the {distinctive[value].label}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and text_pattern.search(node.value):
                found.append(f"line {node.lineno}: {node.value!r} states a bound")
    return sorted(set(found))


# Literals that equal a bound by coincidence, each with what it really is.
COINCIDENCES = {
    ("openapi/kling_spec/_validation.py", "300"): "the length an error message is cut to",
    ("bench/kling_bench/_requests.py", "300"): "the length an answer is cut to in an error",
    ("bench/kling_bench/_report.py", "300.0"): "the benchmark's RSS target, in MiB",
    ("tests/sdk/test_images.py", "300"): "the height a before/after sheet is drawn at",
    ("tests/spec/test_constraints.py", "2"): "a new area factor set on a spec copy",
}


def sources(folders: tuple[str, ...]) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def findings(path: Path, bounds: SpecBounds, *, package: bool) -> list[str]:
    where = str(path.relative_to(ROOT))
    found = restated_bounds(path.read_text(encoding="utf-8"), bounds, package=package)
    known = COINCIDENCES.keys()
    return [f for f in found if (where, literal_of(f)) not in known]


def literal_of(finding: str) -> str:
    """The literal a finding reports (``line 7: 300 is ...`` -> ``300``)."""
    return finding.split(": ", 1)[1].split(" ", 1)[0]


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", sources(PACKAGES), ids=relative)
def test_no_package_module_restates_a_bound(path: Path, published_bounds) -> None:
    assert findings(path, published_bounds, package=True) == []


@pytest.mark.parametrize("path", sources(TESTS), ids=relative)
def test_no_unit_test_ties_a_literal_bound_to_its_quantity(path: Path, published_bounds) -> None:
    assert findings(path, published_bounds, package=False) == []


def test_every_known_coincidence_is_still_found(published_bounds) -> None:
    # An entry the scan no longer needs would hide a new restatement of that literal.
    for where, literal in COINCIDENCES:
        package = not where.startswith(TESTS_PREFIX)
        found = restated_bounds(
            (ROOT / where).read_text("utf-8"), published_bounds, package=package
        )
        assert literal in map(literal_of, found), where


@pytest.mark.parametrize(
    ("snippet", "package"),
    [
        ("LIMIT = {prompt_max}", True),
        ("MAX_BYTES = {max_bytes} // 1024 // 1024 * 1024 * 1024", True),
        ("if min(width, height) < {min_side}: pass", True),
        ("message = f'at most {prompt_max} characters, got {{n}}'", True),
        ("ASPECT = '{aspect_max}:1'", True),
        ("if n > {n_max}: pass", True),
        ("request(n={n_max})", True),
        ("MAX_AREA = {max_area_factor}", True),
        ("def expand(up_ratio={ratio_max}): pass", True),
        ("ok = len(prompt) <= {prompt_max}", False),
        ("make(width=400, height={min_side})", False),
        ("body = request_body(n={n_max})", False),
    ],
)
def test_the_scan_finds_a_restated_bound(snippet: str, package: bool, published_bounds) -> None:
    bounds = published_bounds
    values = {
        "prompt_max": bounds.prompt_max,
        "max_bytes": bounds.max_bytes,
        "min_side": bounds.min_side,
        "aspect_max": float(bounds.aspect_max),
        "n_max": bounds.n_max,
        "max_area_factor": bounds.max_area_factor,
        "ratio_max": bounds.ratio_max_written[bounds.vertical[0]],
    }
    source = snippet.format(**{k: _literal(v) for k, v in values.items()})

    assert restated_bounds(source, bounds, package=package) != []


def _literal(value) -> str:
    fraction = Fraction(value)
    return str(fraction.numerator) if fraction.denominator == 1 else repr(float(fraction))


def test_the_scan_ignores_docstrings_generic_numbers_and_untied_test_data(
    published_bounds,
) -> None:
    bounds = published_bounds
    package_source = (
        f'"""Prompts hold up to {bounds.prompt_max} characters."""\n'
        f"pair = items[:{_literal(bounds.ratio_max_written[bounds.vertical[0]])}]\n"
        f"retries = {_literal(bounds.ratio_max_written[bounds.vertical[0]])}\n"
        f"quarter = n * {_literal(bounds.max_area_factor)} // 4\n"
        "ok = 200 <= status < 300\n"
    )
    test_source = f"image = png(400, {bounds.min_side})\nassert sizes == [{bounds.n_max}]\n"

    assert restated_bounds(package_source, bounds) == []
    assert restated_bounds(test_source, bounds, package=False) == []
