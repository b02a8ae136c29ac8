"""The SDK's modules import each other without cycles, and never the mock."""

from __future__ import annotations

import ast
from pathlib import Path

import kling_expand

PACKAGE = Path(kling_expand.__file__).parent


def imports_within_the_package() -> dict[str, set[str]]:
    """Each module's imports of its siblings, type-only and function-local ones included."""
    graph: dict[str, set[str]] = {}
    for module in PACKAGE.glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found |= {node.module} if node.module else {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "kling_expand."
            ):
                found.add((node.module or "").split(".")[1])
            elif isinstance(node, ast.Import):
                found |= {
                    a.name.split(".")[1] for a in node.names if a.name.startswith("kling_expand.")
                }
        graph[module.stem] = {name.split(".")[0] for name in found}
    return graph


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": set()}) is None


def test_no_module_of_the_sdk_imports_another_that_imports_it_back():
    assert cycle_in(imports_within_the_package()) is None


def test_no_module_of_the_sdk_imports_the_mock():
    for module in PACKAGE.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        names = [
            *(a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names),
            *(n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)),
            *(
                n.value
                for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ),
        ]
        assert not [name for name in names if name.startswith("kling_mock.")], module.name
