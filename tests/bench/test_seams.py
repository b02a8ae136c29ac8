import sys

import pytest

from kling_bench import _seams


def test_the_mock_is_served_by_its_own_serve_command_on_the_given_address(monkeypatch) -> None:
    monkeypatch.delenv(_seams.MOCK_COMMAND_ENV, raising=False)

    command = _seams.mock_command("127.0.0.1", 5001)

    assert command == [
        sys.executable,
        "-m",
        "kling_mock",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "5001",
    ]


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


def test_a_mock_without_its_entry_point_is_skipped_with_a_reason_naming_it(monkeypatch) -> None:
    monkeypatch.delenv(_seams.MOCK_COMMAND_ENV, raising=False)
    monkeypatch.setattr(_seams.importlib.util, "find_spec", lambda name: None)

    reason = _seams.mock_command_unavailable()

    assert reason is not None
    assert "python -m kling_mock serve" in reason


def test_the_api_key_comes_from_the_environment_first(monkeypatch) -> None:
    monkeypatch.setenv(_seams.API_KEY_ENV, "sk-from-env")

    assert _seams.default_api_key() == "sk-from-env"


def test_the_api_key_falls_back_to_the_mocks_documented_key(monkeypatch) -> None:
    monkeypatch.delenv(_seams.API_KEY_ENV, raising=False)
    fake_mock = type(sys)("kling_mock")
    fake_mock.DEFAULT_API_KEY = "sk-documented"  # type: ignore[attr-defined]
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
    built = {}

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
