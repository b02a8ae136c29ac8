"""One smoke run of the SDK and the mock on the spec ``KLING_RESOLVED_SPEC`` names.

Run as a script by the spec-change drill (``test_spec_change_drill.py``), in a
process of its own so the spec and the generated client it imports are the
changed ones. It expands an image with ``kling-expand run`` (the CLI, so the SDK
too) against the in-process mock, asks the SDK, the mock and the contract tests'
oracle about a probe request, parses a task record in each status the spec lists,
and prints what it saw as JSON::

    KLING_RESOLVED_SPEC=specs/kling-image-expansion.json \\
        python drill_smoke.py '{"sdk": {"up": 1.5}, "wire": {"up": 1.5}}'
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

IMAGE = "https://images.test/source.jpg"
CHECKOUT = Path(__file__).resolve().parents[2]


def _on(mock: Any) -> Any:
    """A client factory for the CLI: the mock's in-process SDK client, whatever it is asked."""
    return lambda **_: mock.sdk_client()


def smoke(sdk_probe: dict[str, Any], wire_probe: dict[str, Any]) -> dict[str, Any]:
    import attrs

    import kling_expand_api.models as generated
    from kling_expand import InputValidationError, KlingExpand, Task
    from kling_expand._cli import main as cli
    from kling_mock import MockKling
    from kling_spec import CREATE_PATH, ExpandConstraints, load_resolved_spec

    c = ExpandConstraints.from_spec()
    mock = MockKling()
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as folder:
        run = ["run", IMAGE, "--up", "0.1", "--down", "0.2", "--json", "--out", folder]
        status = cli(run, stdout=out, stderr=err, client_factory=_on(mock), environ={})
    with mock.sdk_client() as sdk:
        try:
            sdk.check(IMAGE, **sdk_probe)
            sdk_verdict = "accepted"
        except InputValidationError as exc:
            sdk_verdict = f"refused: {exc}"
    sent: Any = next((e.body for e in mock.journal if e.method == "POST"), {})
    wire = {c.image_field: IMAGE, **dict.fromkeys(c.ratio_fields, 0)}
    names = dict(zip(("up", "down", "left", "right"), c.ratio_fields, strict=True))
    wire.update({names.get(key, key): value for key, value in wire_probe.items()})
    with mock.client() as http:
        answer = http.post(CREATE_PATH, json=wire)
    sys.path.insert(0, str(CHECKOUT))  # the contract tests live in the checkout only
    from contract_tests.oracle import SpecOracle

    oracle = SpecOracle(load_resolved_spec())
    statuses = load_resolved_spec()["components"]["schemas"]["TaskStatus"]["enum"]
    record = {"task_id": "t", "created_at": 0, "updated_at": 0}
    parsed = [
        Task.from_record(generated.TaskRecord.from_dict({**record, "task_status": status})).status
        for status in statuses
    ]
    with KlingExpand(api_key="k") as default:
        base_url = default.base_url
    return {
        "cli": [status, json.loads(out.getvalue() or "{}").get("status"), err.getvalue()],
        "sent": sorted(sent),
        "request_fields": sorted(a.name for a in attrs.fields(generated.ExpandImageRequest)),
        "parsed_statuses": [type(s).__name__ for s in parsed],
        "sdk_probe": sdk_verdict,
        "mock_probe": [answer.status_code, answer.json().get("message", "")],
        "oracle": [oracle.judge(sent).accepted, sorted(oracle.judge(wire).schema_fields)],
        "base_url": base_url,
    }


if __name__ == "__main__":
    probes = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    print(json.dumps(smoke(probes.get("sdk", {}), probes.get("wire", {}))))
