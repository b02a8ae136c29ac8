"""One engine under both clients: explicit parameters, no reaching into other objects."""

from __future__ import annotations

import ast
import inspect
import pydoc
from pathlib import Path

import httpx
import pytest

import kling_expand
from kling_expand import AsyncKlingExpand, KlingExpand

PACKAGE = Path(kling_expand.__file__).parent
# Private attributes read on another object, each for a stated reason.
ALLOWED_PRIVATE_READS = {
    # ``with_options`` sets the engine of its own copy (the same class).
    ("_client.py", "clone._engine"),
    # argparse lists its options nowhere public; the ``mock`` command needs them.
    ("_cli.py", "parser._actions"),
}
CREATE_PARAMETERS = ["up", "down", "left", "right", "ratios", "aspect", "anchor", "prompt", "n"]


def test_no_module_reads_another_object_private_attributes():
    found = set()
    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
                continue
            if node.attr.startswith("__"):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            found.add((module.name, ast.unparse(node)))
    assert found <= ALLOWED_PRIVATE_READS


def test_no_client_is_made_without_its_constructor():
    source = (PACKAGE / "_client.py").read_text(encoding="utf-8")
    assert "object.__new__" not in source


@pytest.mark.parametrize("client_class", [KlingExpand, AsyncKlingExpand])
@pytest.mark.parametrize("method", ["submit", "check", "expand"])
def test_help_lists_every_create_parameter_by_name(client_class, method):
    function = getattr(client_class, method)
    parameters = inspect.signature(function).parameters
    assert all(
        parameters[name].kind is inspect.Parameter.KEYWORD_ONLY for name in CREATE_PARAMETERS
    )
    shown = pydoc.render_doc(function)
    assert all(f"{name}:" in shown or f"{name}=" in shown for name in CREATE_PARAMETERS)


def test_a_misspelt_parameter_is_python_own_type_error():
    refuse = httpx.MockTransport(lambda request: httpx.Response(500))
    with KlingExpand(api_key="sk-test", transport=refuse) as client:
        with pytest.raises(TypeError, match="unexpected keyword argument 'upp'"):
            client.submit("https://example.com/a.jpg", upp=0.2)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="unexpected keyword argument 'poll'"):
            client.wait("t1", poll=1)  # type: ignore[call-arg]


def test_with_options_shares_the_connection_and_leaves_the_original_as_it_was():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404, json={"code": 1203, "message": "no such task"})

    with KlingExpand(api_key="sk-test", transport=httpx.MockTransport(answer)) as client:
        tagged = client.with_options(extra_headers={"X-Trace": "1"}, max_retries=0)
        for each in (tagged, client):
            with pytest.raises(kling_expand.NotFoundError):
                each.get("t1")
    assert [request.headers.get("x-trace") for request in seen] == ["1", None]
    assert repr(tagged) == repr(client)
