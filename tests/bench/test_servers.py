import os
import subprocess
import sys

import httpx
import pytest

from kling_bench import ServerSpec, default_servers, running
from kling_bench._ports import LOOPBACK, ServerNotListening, accepts_connections
from kling_bench._servers import (
    _process_group_of,
    _rss_kib,
    process_group_rss_bytes,
    running_members,
    stop_process_group,
)
from kling_spec import CREATE_PATH


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for our purposes.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_every_server_binds_only_to_loopback() -> None:
    for spec in default_servers().values():
        command = spec.command(LOOPBACK, 4321)
        assert LOOPBACK in command
        assert "0.0.0.0" not in command


def test_the_servers_run_ours_first_then_the_references() -> None:
    assert list(default_servers()) == ["mock", "prism", "ceiling"]


def test_a_started_server_answers_and_is_gone_after_the_block(tmp_path) -> None:
    with running(default_servers()["ceiling"], log_dir=tmp_path) as live:
        answer = httpx.post(live.base_url + CREATE_PATH, content=b"{}")
        assert answer.json()["code"] == 0
        pid = live.pid

    assert not accepts_connections(live.host, live.port)
    assert not _alive(pid)


def test_a_server_that_dies_at_start_is_reported_with_its_log(tmp_path) -> None:
    dying = ServerSpec(
        "dying",
        "exits at once",
        lambda host, port: [
            sys.executable,
            "-c",
            "print('cannot bind, sorry'); raise SystemExit(3)",
        ],
    )

    with pytest.raises(ServerNotListening, match="cannot bind"):
        with running(dying, log_dir=tmp_path):
            pass


def test_an_exception_in_the_block_still_stops_the_server(tmp_path) -> None:
    pids = []
    with pytest.raises(RuntimeError, match="boom"):
        with running(default_servers()["ceiling"], log_dir=tmp_path) as live:
            pids.append(live.pid)
            raise RuntimeError("boom")

    assert not _alive(pids[0])


def test_stopping_a_group_also_ends_the_children_it_started() -> None:
    # Given a shell that started a child and ignores SIGTERM
    script = "trap '' TERM; sleep 60 & echo $!; wait"
    with subprocess.Popen(
        ["sh", "-c", script], stdout=subprocess.PIPE, start_new_session=True
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        # When the group is stopped
        stop_process_group(parent, grace_s=0.5)
    # Then neither survives
    assert parent.returncode is not None
    assert not _alive(child)


def test_rss_is_read_from_proc_status() -> None:
    assert _rss_kib("Name:\tx\nVmRSS:\t  2048 kB\nVmSwap:\t0 kB\n") == 2048
    assert _rss_kib("Name:\tzombie\n") == 0


def test_the_process_group_survives_spaces_and_parentheses_in_a_command_name() -> None:
    assert _process_group_of("77 (my (odd) name) S 1 55 55 0") == 55


def test_group_rss_sums_only_the_members_of_the_group(tmp_path) -> None:
    for pid, group, kib in ((10, 10, 1000), (11, 10, 500), (12, 99, 7000)):
        entry = tmp_path / str(pid)
        entry.mkdir()
        (entry / "stat").write_text(f"{pid} (python) S 1 {group} {group} 0")
        (entry / "status").write_text(f"VmRSS:\t{kib} kB\n")
    (tmp_path / "self").mkdir()

    assert process_group_rss_bytes(10, proc=tmp_path) == 1500 * 1024


def test_zombies_do_not_count_as_running_members(tmp_path) -> None:
    for pid, state in ((20, "S"), (21, "Z"), (22, "R")):
        entry = tmp_path / str(pid)
        entry.mkdir()
        (entry / "stat").write_text(f"{pid} (x) {state} 1 20 20 0")

    assert sorted(running_members(20, proc=tmp_path)) == [20, 22]
