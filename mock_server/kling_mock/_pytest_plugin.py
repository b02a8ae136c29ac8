"""A pytest plugin (entry point ``kling_mock``): fixtures with a running mock and a client.

Installed with this package, so a downstream project's tests can simply ask for
``kling_mock_client``. Override ``kling_mock_config`` in a conftest to configure it.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ._config import MockConfig
from ._mock import MockKling
from ._server import ServerThread


@pytest.fixture
def kling_mock_config() -> MockConfig:
    """The mock's configuration (override this fixture to change it)."""
    return MockConfig()


@pytest.fixture
def kling_mock(kling_mock_config: MockConfig) -> MockKling:
    """A fresh mock (frozen clock by default: move it with ``kling_mock.advance``)."""
    return MockKling(kling_mock_config)


@pytest.fixture
def kling_mock_server(kling_mock: MockKling) -> Iterator[ServerThread]:
    """The mock served over real HTTP on loopback; ``.base_url`` says where."""
    with kling_mock.serve() as server:
        yield server


@pytest.fixture
def kling_mock_client(
    kling_mock: MockKling, kling_mock_server: ServerThread
) -> Iterator[httpx.Client]:
    """An httpx.Client pointed at the running mock, with the first configured key."""
    key = next(iter(kling_mock.config.api_keys))
    with httpx.Client(base_url=kling_mock_server.base_url, headers=kling_mock.headers(key)) as c:
        yield c


@pytest.fixture
def kling_mock_async_client(kling_mock: MockKling) -> httpx.AsyncClient:
    """The async twin: an httpx.AsyncClient calling the mock in process (no socket).

    It holds no connection, so a test may use it directly or inside ``async with``.
    """
    key = next(iter(kling_mock.config.api_keys))
    return kling_mock.async_client(api_key=key)
