"""Realistic upstream changes, each taken through update, resolve, generate and a smoke run.

Every change either flows through (the generated client, the SDK, the CLI and the
mock follow it, seen by ``drill_smoke.py`` in a process reading the changed spec)
or stops at ``kling-spec resolve`` with one line per broken reference saying what
to fix. The generator runs only where a change reaches the generated code; where
it does not, the test proves it by comparing the resolved documents without the
keys openapi-python-client ignores.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kling_spec_tools._cli import main

CHECKOUT_ROOT = Path(__file__).resolve().parents[2] / "openapi"
GENERATED = CHECKOUT_ROOT.parent / "generated_client" / "kling_expand_api"
SMOKE = Path(__file__).with_name("drill_smoke.py")
RESOLVED_JSON = "kling-image-expansion.json"
UPSTREAM = Path("upstream") / "kling-image-expansion.yaml"
# Keys openapi-python-client's output does not depend on (checked once by generating).
GENERATOR_IGNORES = frozenset(
    {"minimum", "maximum", "servers", "x-codeSamples", "x-kling-upstream-sha256"}
)


def page_around(spec_text: str) -> str:
    return (
        f"# Expand an image with Kling\n\nProse.\n\n````yaml api/x.json POST /x\n{spec_text}````\n"
    )


def replaced(text: str, old: str, new: str, count: int = 1) -> str:
    """``text`` with ``old`` replaced, asserting it occurs ``count`` times (or more, if -1)."""
    found = text.count(old)
    assert found == count or (count == -1 and found > 0), f"{old!r} occurs {found} times"
    return text.replace(old, new)


@pytest.fixture
def checkout_folder(spec_folder: Path) -> Path:
    """A spec folder as the checkout has it: with the last resolved spec too."""
    for name in (RESOLVED_JSON, "kling-image-expansion.yaml"):
        shutil.copy(CHECKOUT_ROOT / name, spec_folder / name)
    return spec_folder


def without(node: Any, keys: frozenset[str]) -> Any:
    if isinstance(node, dict):
        return {k: without(v, keys) for k, v in node.items() if k not in keys}
    if isinstance(node, list):
        return [without(item, keys) for item in node]
    return node


def generate(root: Path, out: Path) -> Path:
    """``make generate`` on ``root``'s resolved spec, into ``out``/kling_expand_api."""
    package = out / GENERATED.name
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(root / RESOLVED_JSON),
            "--config",
            str(CHECKOUT_ROOT / "generator.yaml"),
            "--meta",
            "none",
            "--overwrite",
            "--output-path",
            str(package),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return package


def same_tree(a: Path, b: Path) -> bool:
    compared = filecmp.dircmp(a, b, ignore=["__pycache__"])

    def same(c: filecmp.dircmp[str]) -> bool:
        if c.left_only or c.right_only or c.diff_files or c.funny_files:
            return False
        files = c.common_files
        if filecmp.cmpfiles(c.left, c.right, files, shallow=False)[1:] != ([], []):
            return False
        return all(same(sub) for sub in c.subdirs.values())

    return same(compared)


def smoke(root: Path, generated: Path | None, sdk: dict[str, Any], wire: dict[str, Any]) -> Any:
    """What the SDK, the CLI and the mock do on ``root``'s resolved spec (one process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KLING_", "COMETAPI_"))}
    env["KLING_RESOLVED_SPEC"] = str(root / RESOLVED_JSON)
    if generated is not None:
        env["PYTHONPATH"] = str(generated.parent)
    result = subprocess.run(
        [sys.executable, str(SMOKE), json.dumps({"sdk": sdk, "wire": wire})],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@dataclass(frozen=True)
class Outcome:
    resolve_status: int
    errors: list[str]
    facts: Any = None
    generated: Path | None = None


def take_change(
    root: Path, new_text: str, *, breaking: bool, generates: bool, capsys: Any, **probes: Any
) -> Outcome:
    """update (refused, then accepted when breaking), resolve, generate if needed, smoke."""
    page = root.parent / "page.txt"
    page.write_text(page_around(new_text), encoding="utf-8")
    before = (root / UPSTREAM).read_bytes()
    status = main(["--root", str(root), "update", str(page)])
    if breaking:
        assert status == 1, "a breaking copy is refused without --accept-breaking"
        assert (root / UPSTREAM).read_bytes() == before
        status = main(["--root", str(root), "update", str(page), "--accept-breaking"])
    assert status == 0
    assert (root / UPSTREAM).read_text(encoding="utf-8") == new_text
    capsys.readouterr()
    last_good = (root / RESOLVED_JSON).read_bytes()

    status = main(["--root", str(root), "resolve"])

    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    if status != 0:
        assert (root / RESOLVED_JSON).read_bytes() == last_good, "nothing is written"
        return Outcome(status, errors)
    generated = None
    if generates:
        generated = generate(root, root.parent / "generated")
        assert not same_tree(generated, GENERATED), "the change reaches the generated code"
    else:
        new, old = (
            json.loads(p.read_bytes())
            for p in (root / RESOLVED_JSON, CHECKOUT_ROOT / RESOLVED_JSON)
        )
        assert without(new, GENERATOR_IGNORES) == without(old, GENERATOR_IGNORES)
    facts = smoke(root, generated, probes.get("sdk", {}), probes.get("wire", {}))
    assert facts["cli"][:2] == [0, "saved"], facts["cli"]
    return Outcome(status, errors, facts, generated)


@dataclass(frozen=True)
class Change:
    """An upstream edit, whether it breaks clients, and what must happen to it."""

    edit: Callable[[str], str]
    breaking: bool
    generates: bool = False
    # For a change that stops: a fragment each error line must hold, in order.
    stops: tuple[tuple[str, ...], ...] = ()
    probes: dict[str, Any] = field(default_factory=dict)
    check: Callable[[Any], None] = lambda facts: None


def _check_new_optional(facts: Any) -> None:
    assert "seed" in facts["request_fields"]
    assert "seed" not in facts["sent"]
    assert facts["mock_probe"][0] == 200


def _check_new_status(facts: Any) -> None:
    assert facts["parsed_statuses"] == ["TaskStatus"] * 5


def _check_narrowed(facts: Any) -> None:
    assert "up_expansion_ratio" in facts["sdk_probe"] and "maximum is 1" in facts["sdk_probe"]
    assert facts["mock_probe"][0] == 400 and "up_expansion_ratio" in facts["mock_probe"][1]
    assert facts["oracle"] == [True, ["up_expansion_ratio"]]


def _check_widened(facts: Any) -> None:
    assert facts["sdk_probe"] == "accepted"
    assert facts["mock_probe"][0] == 200
    assert facts["oracle"] == [True, []]


def _check_moved_server(facts: Any) -> None:
    assert facts["base_url"] == "https://api.cometapi.example"


NEW_PROPERTY = "                external_task_id:\n                  type: string\n"


def _add_property(text: str, name: str, required: bool) -> str:
    text = replaced(
        text,
        NEW_PROPERTY,
        f"                {name}:\n                  type: {'string' if required else 'integer'}\n"
        f"                  description: Added upstream.\n" + NEW_PROPERTY,
    )
    if required:
        text = replaced(
            text,
            "                - right_expansion_ratio\n",
            f"                - right_expansion_ratio\n                - {name}\n",
        )
    return text


CHANGES = {
    "description edit": Change(
        lambda t: replaced(
            t, "Webhook URL for task status notifications.", "Webhook URL told of every change."
        ),
        breaking=False,
        generates=True,
    ),
    "new optional field": Change(
        lambda t: _add_property(t, "seed", required=False),
        breaking=False,
        generates=True,
        probes={"wire": {"seed": 7}},
        check=_check_new_optional,
    ),
    "new task status": Change(
        lambda t: replaced(
            t,
            "                          - failed\n",
            "                          - failed\n                          - cancelled\n",
        ),
        breaking=True,  # a reader meets a value it did not know
        generates=True,
        check=_check_new_status,
    ),
    "narrowed bound": Change(
        lambda t: replaced(
            t, "                  maximum: 2\n", "                  maximum: 1\n", 4
        ),
        breaking=True,
        probes={"sdk": {"up": 1.5}, "wire": {"up": 1.5}},
        check=_check_narrowed,
    ),
    "widened bound": Change(
        lambda t: replaced(t, "                  maximum: 9\n", "                  maximum: 12\n"),
        breaking=False,
        probes={"sdk": {"n": 12}, "wire": {"n": 12}},
        check=_check_widened,
    ),
    "renamed field": Change(
        lambda t: replaced(t, "down_expansion_ratio", "bottom_expansion_ratio", -1),
        breaking=True,
        stops=(
            (
                "overlay action 3 (x-kling-constraints.expansion.vertical[1])",
                "'down_expansion_ratio' is not in POST",
                "request body.down_expansion_ratio: field removed",
                "renamed 'down_expansion_ratio' to 'bottom_expansion_ratio'",
            ),
        ),
    ),
    "removed optional field": Change(
        lambda t: replaced(
            t,
            "                callback_url:\n                  type: string\n"
            "                  description: Webhook URL for task status notifications.\n",
            "",
        ),
        breaking=True,
        stops=(
            (
                ".properties.callback_url): its target selects nothing: no 'callback_url'",
                "request body.callback_url: field removed",
                "remove the action",
            ),
            (
                "(x-kling-constraints.callback.field)",
                "'callback_url' is not in POST",
                "request body.callback_url: field removed",
            ),
        ),
    ),
    "new required field": Change(
        lambda t: _add_property(t, "model_name", required=True),
        breaking=True,
        stops=(
            (
                "overlay action 3 (x-kling-constraints)",
                "the request requires 'model_name'",
                "request body.model_name: required field added",
                "give it a role in x-kling-constraints",
            ),
        ),
    ),
    "changed server URL": Change(
        lambda t: replaced(t, "https://api.cometapi.com", "https://api.cometapi.example", -1),
        breaking=True,  # clients built from the old copy call the old host
        check=_check_moved_server,
    ),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_an_upstream_change_flows_through_or_stops_with_what_to_fix(
    name: str, checkout_folder: Path, capsys
) -> None:
    change = CHANGES[name]
    text = (checkout_folder / UPSTREAM).read_text(encoding="utf-8")

    outcome = take_change(
        checkout_folder,
        change.edit(text),
        breaking=change.breaking,
        generates=change.generates,
        capsys=capsys,
        **change.probes,
    )

    if change.stops:
        assert outcome.resolve_status == 1
        assert len(outcome.errors) == len(change.stops), outcome.errors
        for line, fragments in zip(outcome.errors, change.stops, strict=True):
            for fragment in fragments:
                assert fragment in line, (fragment, line)
    else:
        assert outcome.resolve_status == 0, outcome.errors
        change.check(outcome.facts)


def test_a_rename_stops_resolve_and_one_overlay_edit_makes_everything_follow(
    checkout_folder: Path, capsys
) -> None:
    # Given CometAPI's older page, which said bottom_expansion_ratio
    old, new = "down_expansion_ratio", "bottom_expansion_ratio"
    text = replaced((checkout_folder / UPSTREAM).read_text(encoding="utf-8"), old, new, -1)

    # When it is taken in, Then resolve stops, naming the entry, the name and the change
    stopped = take_change(checkout_folder, text, breaking=True, generates=True, capsys=capsys)
    assert stopped.resolve_status == 1
    [line] = stopped.errors
    assert f"x-kling-constraints.expansion.vertical[1]): {old!r} is not in POST" in line
    assert f"request body.{old}: field removed" in line

    # When the one place the overlay names the field is changed
    overlay = checkout_folder / "overlay.yaml"
    assert overlay.read_text(encoding="utf-8").count(old) == 1
    overlay.write_text(overlay.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    outcome = take_change(
        checkout_folder,
        text,
        breaking=False,
        generates=True,
        capsys=capsys,
        sdk={"down": 2.5},
        wire={"down": 2.5},
    )

    # Then the generated client, the CLI, the SDK (still `down=`) and the mock use the new name
    assert outcome.resolve_status == 0
    facts = outcome.facts
    assert new in facts["request_fields"] and old not in facts["request_fields"]
    assert new in facts["sent"] and old not in facts["sent"]
    assert new in facts["sdk_probe"]
    assert facts["mock_probe"][0] == 400 and new in facts["mock_probe"][1]
    assert facts["oracle"] == [True, [new]], "the contract tests' oracle follows too"
