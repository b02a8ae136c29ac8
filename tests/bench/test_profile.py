import pytest

from kling_bench import _profile
from kling_bench._profile import (
    SERVER_AND_IO_KEY,
    ProfilerMissing,
    attribute_samples,
    project_frames,
    summarize_collapsed,
)

STACKS = "\n".join(
    [
        "run (uvicorn/main.py:1);app (kling_mock/_app.py:10);create (kling_mock/_service.py:20);"
        "iter_errors (jsonschema/validators.py:30) 6",
        "run (uvicorn/main.py:1);app (kling_mock/_app.py:10);send (kling_mock/_app.py:12);"
        "write (asyncio/selector_events.py:40) 3",
        "run (uvicorn/main.py:1);route (starlette/routing.py:5) 1",
        "",
        "not a sample line",
    ]
)


def test_samples_are_charged_to_where_a_fix_would_go() -> None:
    charged = dict(attribute_samples(STACKS))

    # jsonschema called by the service: the service's frame is where to fix it
    assert charged["create (kling_mock/_service.py)"] == 0.6
    # a socket write is the server's time, even below the mock's send wrapper
    assert charged[SERVER_AND_IO_KEY] == 0.3
    assert charged["starlette (library)"] == 0.1
    assert sum(charged.values()) == pytest.approx(1.0)


def test_inclusive_shares_count_a_function_once_per_stack() -> None:
    shares = dict(summarize_collapsed(STACKS, keep=project_frames))

    assert shares["app (kling_mock/_app.py)"] == 0.9
    assert shares["send (kling_mock/_app.py)"] == 0.3
    assert "run (main.py)" not in shares


def test_no_samples_give_no_summary() -> None:
    assert attribute_samples("") == []
    assert summarize_collapsed("garbage") == []


def test_a_missing_profiler_is_a_clear_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(_profile, "PY_SPY", tmp_path / "absent" / "py-spy")
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(ProfilerMissing, match="make bench"):
        _profile.find_py_spy()
