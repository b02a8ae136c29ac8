import httpx

from kling_bench import create_ceiling_app
from kling_bench._ports import LOOPBACK, accepts_connections
from kling_bench._sdk_overhead import compare_clients


def test_both_clients_are_called_equally_and_alternately() -> None:
    calls: list[str] = []

    figures = compare_clients(
        lambda: calls.append("raw"), lambda: calls.append("sdk"), calls=3, rounds=2
    )

    assert calls == ["raw"] * 3 + ["sdk"] * 3 + ["raw"] * 3 + ["sdk"] * 3
    assert (figures.calls_per_round, figures.rounds) == (3, 2)
    assert figures.sdk_over_httpx == round(figures.sdk_get_s / figures.httpx_get_s, 3)


def test_the_in_process_server_serves_then_releases_its_port(serve_app) -> None:
    with serve_app(create_ceiling_app()) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        assert httpx.get(base_url + "/kling/v1/images/editing/expand/x").status_code == 200

    assert not accepts_connections(LOOPBACK, port)
