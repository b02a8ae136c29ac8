import sys

import httpx
import pytest

from kling_bench import _seams, default_servers
from kling_bench._requests import auth_headers, example_create_body
from kling_spec import CREATE_PATH

_DEV_KEY = _seams.default_api_key()


def test_the_mock_runs_under_the_same_uvicorn_command_as_the_ceiling(monkeypatch) -> None:
    monkeypatch.delenv(_seams.MOCK_COMMAND_ENV, raising=False)

    mock = _seams.mock_command("127.0.0.1", 5001)
    ceiling = default_servers()["ceiling"].command("127.0.0.1", 5001)

    assert mock[:4] == [sys.executable, "-m", "uvicorn", "--factory"]
    assert mock[4] == "kling_bench._seams:bench_mock_app"
    assert mock[5:] == ceiling[5:]  # same address, same production settings
    assert "--no-access-log" in mock


def test_the_mock_command_can_be_replaced_with_placeholders(monkeypatch) -> None:
    monkeypatch.setenv(_seams.MOCK_COMMAND_ENV, "kling-mock serve --host {host} --port {port}")

    assert _seams.mock_command("127.0.0.1", 7) == [
        "kling-mock",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "7",
    ]
    assert _seams.mock_command_unavailable() is None


def test_a_mock_without_its_entry_points_is_skipped_with_a_reason_naming_them(monkeypatch) -> None:
    monkeypatch.delenv(_seams.MOCK_COMMAND_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "kling_mock", type(sys)("kling_mock"))

    reason = _seams.mock_command_unavailable()

    assert reason is not None
    assert "create_app and MockConfig" in reason
    assert _seams.MOCK_COMMAND_ENV in reason


def test_the_api_key_comes_from_the_environment_first(monkeypatch) -> None:
    monkeypatch.setenv(_seams.API_KEY_ENV, "sk-from-env")

    assert _seams.default_api_key() == "sk-from-env"


def test_the_api_key_falls_back_to_the_mocks_documented_key(monkeypatch) -> None:
    monkeypatch.delenv(_seams.API_KEY_ENV, raising=False)
    fake_mock = type(sys)("kling_mock")
    fake_mock.DEFAULT_DEV_KEY = "sk-documented"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kling_mock", fake_mock)

    assert _seams.default_api_key() == "sk-documented"


def test_an_in_process_mock_without_a_factory_is_a_clear_skip(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "kling_mock", type(sys)("kling_mock"))

    with pytest.raises(_seams.SeamUnavailable, match="create_app"):
        _seams.build_mock_app()


def test_an_sdk_without_klingexpand_is_a_clear_skip(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "kling_expand", type(sys)("kling_expand"))

    with pytest.raises(_seams.SeamUnavailable, match="KlingExpand"):
        _seams.sdk_getter("http://127.0.0.1:1", "k")


def test_the_sdk_seam_calls_get_on_a_client_built_from_url_and_key(monkeypatch) -> None:
    built: dict[str, object] = {}

    class FakeKlingExpand:
        def __init__(self, *, api_key: str, base_url: str) -> None:
            built.update(api_key=api_key, base_url=base_url)

        def get(self, task_id: str) -> str:
            return f"record of {task_id}"

    fake_sdk = type(sys)("kling_expand")
    fake_sdk.KlingExpand = FakeKlingExpand  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kling_expand", fake_sdk)

    get, close = _seams.sdk_getter("http://127.0.0.1:9", "sk-1")

    assert get("t1") == "record of t1"
    assert built == {"api_key": "sk-1", "base_url": "http://127.0.0.1:9"}
    close()


def test_the_mock_process_gets_its_settings_from_the_harness(monkeypatch, serve_app) -> None:
    # Given settings that accept only one key
    monkeypatch.setenv(_seams.MOCK_CONFIG_ENV, '{"api_keys": {"sk-bench": "bench"}}')
    app = _seams.bench_mock_app()
    body = example_create_body()
    # When a create is sent with that key and with the default one
    with serve_app(app) as base_url, httpx.Client(base_url=base_url) as client:
        accepted = client.post(CREATE_PATH, json=body, headers=auth_headers("sk-bench"))
        refused = client.post(CREATE_PATH, json=body, headers=auth_headers(_DEV_KEY))
    # Then the mock runs with the harness's settings
    assert accepted.status_code == 200
    assert refused.status_code == 401


def test_the_memory_settings_keep_every_task_on_a_clock_the_harness_moves() -> None:
    config = _seams.memory_config(100_000)

    assert config["max_tasks"] == 100_000
    assert config["clock_frozen"] is True
    assert config["task_ttl_seconds"] < _seams.MEMORY_TASK_TTL_S + 1
