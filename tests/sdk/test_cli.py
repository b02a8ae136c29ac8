"""The command line: results on stdout, one-line errors, documented exit codes."""

from __future__ import annotations

import io
import json
import sys
import types
from pathlib import Path

import httpx
import pytest
from PIL import Image

from kling_expand import KlingExpand
from kling_expand._cli import EXIT_CODES, main
from kling_expand._sample import render_sample_photo, sample_photo_path

from .conftest import API_KEY, BASE_URL, CREATE_URL, undecodable


@pytest.fixture
def cli(clock, monkeypatch, tmp_path):
    """Run ``kling-expand`` in process, in a scratch folder; returns (status, stdout, stderr)."""
    monkeypatch.setenv("COMETAPI_KEY", API_KEY)
    monkeypatch.chdir(tmp_path)

    def factory(**options):
        return KlingExpand(clock=clock, rand=lambda: 0.0, **options)

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = main(
            ["--base-url", BASE_URL, *argv], stdout=out, stderr=err, client_factory=factory
        )
        return status, out.getvalue(), err.getvalue()

    return run


@pytest.fixture
def finished_service(router, envelope, succeeded, make_image):
    create = router.post(CREATE_URL).respond(json=envelope(task_id="t1"))
    router.get(f"{CREATE_URL}/t1").mock(
        side_effect=[
            httpx.Response(200, json=envelope(task_id="t1", task_status="processing")),
            httpx.Response(200, json=succeeded("t1")),
        ]
    )
    router.get("https://cdn.test/t1/0.png").respond(
        content=make_image(1229, 768), headers={"Content-Type": "image/png"}
    )
    return create


def test_run_expands_an_image_and_prints_the_saved_path(cli, finished_service, tmp_path):
    status, out, err = cli("run", str(sample_photo_path()), "--all", "0.2", "--out", str(tmp_path))
    assert status == 0, err
    assert out.strip() == str(tmp_path / "t1_0.png")
    body = json.loads(finished_service.calls.last.request.content)
    assert body["up_expansion_ratio"] == body["left_expansion_ratio"] == 0.2


def test_run_with_an_aspect_and_compare_writes_the_before_after_sheet(
    cli, finished_service, tmp_path
):
    status, out, err = cli(
        "run", str(sample_photo_path()), "--aspect", "16:9", "--out", str(tmp_path), "--compare"
    )
    assert status == 0, err
    saved, sheet = out.split()
    assert sheet.endswith("sample_before_after.png")
    with Image.open(sheet) as image:
        assert image.format == "PNG"


def test_compare_on_a_url_skips_the_sheet_with_a_warning_and_still_prints_the_saved_path(
    cli, finished_service, tmp_path
):
    status, out, err = cli(
        "run", "https://img.test/a.jpg", "--all", "0.2", "--out", str(tmp_path), "--compare"
    )
    assert status == 0, err
    assert out.split() == [str(tmp_path / "t1_0.png")]
    assert len(err.splitlines()) == 1 and "warning" in err and "--compare" in err
    assert not list(tmp_path.glob("*before_after*"))


def test_run_json_prints_one_object_per_image(cli, finished_service, tmp_path):
    status, out, _ = cli(
        "--json", "run", str(sample_photo_path()), "--up", "0.5", "--out", str(tmp_path)
    )
    record = json.loads(out)
    assert status == 0
    assert record["status"] == "saved" and record["task_id"] == "t1"
    assert record["files"] == [str(tmp_path / "t1_0.png")]


def test_run_no_wait_prints_the_task_id_and_does_not_poll(cli, router, envelope):
    router.post(CREATE_URL).respond(json=envelope(task_id="t42"))
    status, out, _ = cli("run", "https://img.test/a.jpg", "--left", "0.3", "--no-wait")
    assert (status, out.strip()) == (0, "t42")


@pytest.mark.parametrize(
    "args",
    [
        ["--all", "0.2", "--aspect", "16:9"],
        [],
        ["--all", "3"],
        ["--up", "1", "--down", "1", "--left", "1"],
        ["--all", "0.1", "-n", "99"],
    ],
    ids=["two-ways", "no-ratios", "ratio-bound", "area", "n"],
)
def test_bad_input_is_one_line_exit_2_and_nothing_is_sent(cli, router, args):
    create = router.post(CREATE_URL)
    status, out, err = cli("run", "https://img.test/a.jpg", *args)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("kling-expand: error:")
    assert "Traceback" not in err
    assert not create.called


@pytest.mark.parametrize(
    "wait", [["--poll-interval", "0"], ["--poll-interval", "nan"], ["--wait-timeout", "-5"]]
)
def test_a_wait_that_cannot_be_honoured_is_exit_2_and_nothing_is_sent(cli, router, wait):
    status, out, err = cli("run", "https://img.test/a.jpg", "--all", "0.1", *wait)
    assert (status, out) == (2, "") and len(err.splitlines()) == 1
    assert not router.calls


@pytest.mark.parametrize("aspect", ["0:9", "-16:9", "1e400:1", "nan:1", "16:0"])
def test_an_aspect_that_cannot_be_used_is_one_line_exit_2_and_nothing_is_sent(cli, router, aspect):
    status, out, err = cli("run", str(sample_photo_path()), f"--aspect={aspect}")
    assert (status, out) == (2, "") and "Traceback" not in err
    assert len(err.splitlines()) == 1 and "aspect" in err and aspect in err
    assert not router.calls


def test_an_image_that_cannot_be_read_is_exit_2(cli, tmp_path):
    small = tmp_path / "small.jpg"
    Image.new("RGB", (100, 100)).save(small)
    status, _, err = cli("run", str(small), "--all", "0.1")
    assert status == 2 and "min_side_px" in err


def test_an_api_error_is_exit_3_without_the_key(cli, router):
    router.get(f"{CREATE_URL}/t1").respond(
        401, json={"code": 1002, "message": "invalid key", "request_id": "r9"}
    )
    status, _, err = cli("status", "t1")
    assert status == 3
    assert "invalid key" in err and "1002" in err and "r9" in err
    assert API_KEY not in err


def test_no_answer_is_exit_4(cli, router):
    router.get(f"{CREATE_URL}/t1").mock(side_effect=httpx.ConnectError("refused"))
    assert cli("status", "t1")[0] == 4


def test_an_answer_httpx_cannot_decode_is_exit_4_in_one_line(cli, router):
    router.get(f"{CREATE_URL}/t1").mock(side_effect=undecodable)
    status, _, err = cli("status", "t1")
    assert status == 4
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_failed_task_is_exit_5(cli, router, envelope):
    router.post(CREATE_URL).respond(json=envelope(task_id="t1"))
    router.get(f"{CREATE_URL}/t1").respond(
        json=envelope(task_id="t1", task_status="failed", task_status_msg="blocked by policy")
    )
    status, _, err = cli("run", "https://img.test/a.jpg", "--all", "0.1")
    assert status == 5 and "blocked by policy" in err


def test_a_passed_deadline_is_exit_6(cli, router, envelope):
    router.post(CREATE_URL).respond(json=envelope(task_id="t1"))
    router.get(f"{CREATE_URL}/t1").respond(json=envelope(task_id="t1", task_status="processing"))
    status, _, err = cli("run", "https://img.test/a.jpg", "--all", "0.1", "--wait-timeout", "30")
    assert status == 6 and "t1" in err


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(503, text="busy"), httpx.ConnectError("refused")],
    ids=["keeps-503", "no-answer"],
)
def test_a_download_that_keeps_failing_is_exit_7(cli, router, envelope, succeeded, failure):
    router.post(CREATE_URL).respond(json=envelope(task_id="t1"))
    router.get(f"{CREATE_URL}/t1").respond(json=succeeded("t1"))
    router.get("https://cdn.test/t1/0.png").mock(side_effect=failure)
    status, _, err = cli("run", "https://img.test/a.jpg", "--all", "0.1")
    assert status == 7, err
    assert len(err.splitlines()) == 1 and "cdn.test/t1/0.png" in err


def test_debug_shows_the_traceback(cli, router):
    router.get(f"{CREATE_URL}/t1").respond(404, json={"code": 1203, "message": "no such task"})
    status, _, err = cli("--debug", "status", "t1")
    assert status == 3 and "Traceback" in err


def test_status_prints_the_task_and_its_images(cli, router, succeeded):
    router.get(f"{CREATE_URL}/t1").respond(json=succeeded("t1", n=2))
    status, out, _ = cli("status", "t1")
    assert status == 0
    assert out.splitlines() == [
        "t1  succeed",
        "  [0] https://cdn.test/t1/0.png",
        "  [1] https://cdn.test/t1/1.png",
    ]


def test_status_by_external_id_and_as_json(cli, router, task_record):
    router.get(CREATE_URL).respond(
        json={
            "code": 0,
            "message": "SUCCEED",
            "data": [task_record(task_id="t3", task_info={"external_task_id": "o-3"})],
        }
    )
    status, out, _ = cli("--json", "status", "o-3", "--external")
    assert status == 0 and json.loads(out)["task_id"] == "t3"


def test_list_stops_at_the_limit(cli, router, task_record):
    router.get(CREATE_URL).respond(
        json={
            "code": 0,
            "message": "SUCCEED",
            "data": [task_record(task_id=f"t{i}") for i in range(30)],
        }
    )
    status, out, _ = cli("list", "--limit", "3")
    assert status == 0 and [line.split()[0] for line in out.splitlines()] == ["t0", "t1", "t2"]


def test_a_missing_key_is_exit_2_with_a_hint(cli, monkeypatch):
    monkeypatch.delenv("COMETAPI_KEY")
    status, _, err = cli("status", "t1")
    assert status == 2 and "COMETAPI_KEY" in err


def test_mock_runs_the_mock_servers_command_line_in_its_own_process(cli, monkeypatch):
    seen = []

    def call(argv):
        seen.append(argv)
        return 0

    monkeypatch.setattr("subprocess.call", call)
    assert cli("mock", "--port", "4011")[0] == 0
    assert seen == [[sys.executable, "-m", "kling_mock", "serve", "--port", "4011"]]


def test_mock_without_the_mock_installed_is_one_line_and_exit_2(cli, monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    status, _, err = cli("mock", "--port", "4011")
    assert status == 2
    assert err.count("\n") == 1 and "not installed" in err


def test_the_sdk_never_imports_the_mock():
    import subprocess

    code = (
        "import sys, kling_expand, kling_expand._cli\n"
        "print(any(m.startswith('kling_mock') for m in sys.modules))"
    )
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )


def test_global_options_work_after_the_command_as_in_the_readme(cli, router, make_image, envelope):
    router.get(f"{CREATE_URL}/t1").mock(
        return_value=httpx.Response(200, json=envelope(task_id="t1", task_status="submitted"))
    )
    status, out, err = cli("status", "t1", "--json", "--timeout", "5")
    assert status == 0, err
    assert json.loads(out)


def test_a_global_option_before_the_command_is_not_reset_by_the_default(cli, router, envelope):
    router.get(f"{CREATE_URL}/t1").mock(
        return_value=httpx.Response(200, json=envelope(task_id="t1", task_status="submitted"))
    )
    status, out, _ = cli("--json", "status", "t1")
    assert status == 0 and json.loads(out)


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["run", "--version"],
        ["status", "--version"],
        ["list", "--version"],
        ["demo", "--version"],
    ],
)
def test_every_command_tells_its_version(argv):
    import kling_expand

    out = io.StringIO()
    assert main(argv, stdout=out, stderr=io.StringIO()) == 0
    assert out.getvalue().strip() == f"kling-expand {kling_expand.__version__}"


def test_the_version_is_the_installed_distributions():
    from importlib.metadata import version

    import kling_expand

    assert kling_expand.__version__ == version("kling-expand-toolkit")


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "a.png", "--all", "0.2", "--concurrency", "0"],
        ["run"],
        ["status"],
        ["frobnicate"],
        ["list", "--limit", "x"],
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv):
    stderr = io.StringIO()
    assert main(argv, stdout=io.StringIO(), stderr=stderr) == 2
    err = stderr.getvalue()
    assert err.count("\n") == 1 and "error:" in err


def test_out_naming_an_existing_file_is_a_usage_error(cli, make_image, tmp_path):
    (tmp_path / "a.png").write_bytes(make_image())
    (tmp_path / "taken").write_text("not a folder")
    status, _, err = cli("run", "a.png", "--all", "0.2", "--out", "taken")
    assert status == 2
    assert "taken" in err and err.count("\n") == 1


def test_usage_errors_exit_2(cli):
    assert cli("run")[0] == 2


def test_every_exit_code_is_documented():
    import kling_expand._cli as module

    for _, code in EXIT_CODES:
        assert f" {code} " in module.__doc__.replace("\n", " ")


def test_the_shipped_sample_is_the_rendered_one():
    assert sample_photo_path().read_bytes() == render_sample_photo()


def test_demo_without_the_mock_server_is_one_clear_line(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "kling_mock", types.ModuleType("kling_mock"))
    status, _, err = cli("demo")
    assert status == 2 and "mock server is not available" in err and "Traceback" not in err


def test_demo_starts_the_mock_and_runs_the_sample_through_the_command_line(
    cli, monkeypatch, router, envelope, succeeded, make_image, tmp_path
):
    # Given a stand-in mock module whose server is the respx-mocked service
    events: list[str] = []

    class Server:
        base_url = BASE_URL

        def __enter__(self):
            events.append("started")
            return self

        def __exit__(self, *exc):
            events.append("stopped")

    fake = types.ModuleType("kling_mock")
    # A stand-in module, built by hand: its attributes are unknown to the type checker.
    fake.DEFAULT_DEV_KEY = "mock-key"  # type: ignore[attr-defined]
    fake.MockConfig = lambda **config: config  # type: ignore[attr-defined]
    fake.MockKling = lambda config: types.SimpleNamespace(serve=Server)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kling_mock", fake)
    create = router.post(CREATE_URL).respond(json=envelope(task_id="t1"))
    router.get(f"{CREATE_URL}/t1").respond(json=succeeded("t1"))
    router.get("https://cdn.test/t1/0.png").respond(
        content=make_image(1365, 768), headers={"Content-Type": "image/png"}
    )
    # When the demo runs
    status, out, _ = cli("demo", "--out", str(tmp_path / "demo"))
    # Then the sample photo went to the mock with the mock's key, and both files were printed
    assert status == 0 and events == ["started", "stopped"]
    assert create.calls.last.request.headers["Authorization"] == "Bearer mock-key"
    saved, sheet = out.split()
    assert saved == str(tmp_path / "demo" / "t1_0.png")
    assert sheet == str(tmp_path / "demo" / "sample_before_after.png")


def test_progress_follows_each_image_through_its_statuses_and_downloads(task_record):
    from rich.console import Console
    from rich.progress import Progress

    from kling_expand import BatchEvent, BatchItem, SavedImage, Task
    from kling_expand._cli import _progress_reporter

    item = BatchItem("photos/beach.jpg", {"up": 0.2})
    progress = Progress(console=Console(file=io.StringIO(), force_terminal=True))
    report = _progress_reporter(progress, [item])
    key = item.identity()
    running = Task.from_dict(task_record(task_id="t1", task_status="processing"))
    done = Task.from_dict(
        task_record(
            task_id="t1",
            task_status="succeed",
            task_result={
                "images": [{"index": i, "url": f"https://cdn.test/{i}.png"} for i in range(2)]
            },
        )
    )
    report(BatchEvent(key, "polled", running))
    assert progress.tasks[0].description == "beach.jpg: processing"
    report(BatchEvent(key, "polled", done))
    report(BatchEvent(key, "saved", done, SavedImage(0, Path("t1_0.png"), "image/png", 1)))
    assert progress.tasks[0].total == 2 and progress.tasks[0].completed == 1
    assert progress.tasks[0].description == "beach.jpg: downloading"
