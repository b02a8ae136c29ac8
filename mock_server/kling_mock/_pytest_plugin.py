"""A pytest plugin (entry point ``kling_mock``): the offline mock inside a test suite.

Installed with this package; a downstream project's tests simply ask for a fixture:

- ``mock_kling``: the :class:`~kling_mock.MockKling` (clock, journal, deliveries,
  scenario helpers such as ``fail_next_create()``, ``fail_task()``, ``rate_limit(n)``);
- ``mock_kling_server``: the same mock served over HTTP on loopback (``.base_url``);
- ``mock_kling_client`` / ``mock_kling_async_client``: httpx clients on that server,
  authenticated, twins (same server, same result URLs);
- ``mock_kling_sdk`` / ``mock_kling_async_sdk``: ``kling_expand`` clients on that
  server, on the mock's clock: ``expand()`` and retries move mock time, never sleep;
- ``mock_kling_env``: sets ``COMETAPI_KEY`` and ``KLING_BASE_URL`` (and the SDK's
  default clock) for the test, so code that builds its own ``KlingExpand`` hits the mock;
- ``mock_kling_tls``: ``False``; override it to ``True`` (in a conftest, or with
  ``@pytest.mark.parametrize("mock_kling_tls", [True])``) and every fixture above serves
  and trusts HTTPS, with a certificate for localhost and 127.0.0.1 from a throwaway CA;
- ``mock_kling_ca_file``: the ``.pem`` of that CA, for clients of your own
  (``httpx.Client(verify=ssl.create_default_context(cafile=...))``, ``SSL_CERT_FILE``,
  ``NODE_EXTRA_CA_CERTS``).

One mock and one server serve the whole session; each test starts from a reset one
(tasks, external ids, faults, rates, journal, deliveries, callbacks, clock), whatever
the test before did or however it failed. Override ``mock_kling_config`` in a conftest
to configure it (each distinct configuration gets its own mock for the session).

``async def`` tests run with anyio's pytest plugin (installed with httpx: mark them
``@pytest.mark.anyio``) or with pytest-asyncio (``@pytest.mark.asyncio``).

The old names (``kling_mock``, ``kling_mock_server``, ``kling_mock_client``,
``kling_mock_async_client``, ``kling_mock_config``) still work and warn: the first one
shadowed the package.

Nothing heavy is imported here: the mock loads when a test first asks for it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import ssl

    import httpx

    from kling_expand import AsyncKlingExpand, KlingExpand

    from ._config import MockConfig
    from ._mock import MockKling
    from ._server import ServerThread
    from ._tls import TlsFiles


class _Pool:
    """The session's mocks, one per distinct configuration, each served on demand."""

    def __init__(self, tls_directory: Path) -> None:
        self._mocks: list[tuple[MockConfig, MockKling]] = []
        self._servers: dict[tuple[int, bool], ServerThread] = {}
        self._contexts: dict[bool, ssl.SSLContext] = {}
        self._tls_directory = tls_directory
        self._tls: TlsFiles | None = None

    def mock(self, config: MockConfig) -> MockKling:
        for known, mock in self._mocks:
            if known == config:
                return mock
        from ._mock import MockKling

        mock = MockKling(config)
        self._mocks.append((config, mock))
        return mock

    def tls_files(self) -> TlsFiles:
        """One CA and server certificate for the session, made when first needed."""
        if self._tls is None:
            from ._tls import certificate_names, make_certificate

            self._tls = make_certificate(self._tls_directory, certificate_names())
        return self._tls

    def server(self, mock: MockKling, *, tls: bool) -> ServerThread:
        server = self._servers.get((id(mock), tls))
        if server is None:
            if tls:
                files = self.tls_files()
                server = mock.serve(
                    ssl_certfile=str(files.cert_file), ssl_keyfile=str(files.key_file)
                )
            else:
                server = mock.serve()
            server.start()
            self._servers[(id(mock), tls)] = server
        return server

    def ssl_context(self, *, tls: bool) -> ssl.SSLContext:
        """One context per kind for every client: building one costs about 20 ms."""
        context = self._contexts.get(tls)
        if context is None:
            import ssl

            import httpx

            if tls:
                context = ssl.create_default_context(cafile=str(self.tls_files().ca_file))
            else:
                context = httpx.create_ssl_context()
            self._contexts[tls] = context
        return context

    def close(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
        self._mocks.clear()


def _key(mock: MockKling) -> str:
    return next(iter(mock.config.api_keys))


def _client_options(pool: _Pool, server: ServerThread) -> dict[str, Any]:
    import httpx

    # No kept-alive connection outlives a request, so a client the test never closes
    # (an async one cannot be closed after its event loop) leaves no socket behind.
    return {
        "verify": pool.ssl_context(tls=server.base_url.startswith("https:")),
        "limits": httpx.Limits(max_keepalive_connections=0),
    }


@pytest.fixture(scope="session")
def _mock_kling_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Pool]:
    pool = _Pool(tmp_path_factory.mktemp("kling-mock-tls"))
    yield pool
    pool.close()


@pytest.fixture
def mock_kling_tls() -> bool:
    """Whether the served fixtures speak HTTPS (override this fixture to turn it on)."""
    return False


@pytest.fixture
def mock_kling_ca_file(_mock_kling_pool: _Pool) -> Path:
    """The CA certificate (``.pem``) that signs the HTTPS mock's certificate."""
    ca_file = _mock_kling_pool.tls_files().ca_file
    assert ca_file is not None  # a made certificate always has its CA beside it
    return ca_file


@pytest.fixture
def mock_kling_config() -> MockConfig:
    """The mock's configuration (override this fixture to change it)."""
    from ._config import MockConfig

    return MockConfig()


@pytest.fixture
def mock_kling(mock_kling_config: MockConfig, _mock_kling_pool: _Pool) -> MockKling:
    """The session's mock for this configuration, reset: no task, fault, journal entry,
    delivery or callback of an earlier test, and the clock back at its start (frozen by
    default: move it with ``mock_kling.advance``, or let an SDK client's waits move it)."""
    mock = _mock_kling_pool.mock(mock_kling_config)
    mock.reset()
    return mock


@pytest.fixture
def mock_kling_server(
    mock_kling: MockKling, mock_kling_tls: bool, _mock_kling_pool: _Pool
) -> ServerThread:
    """The mock served over real HTTP on loopback (one server per session); ``.base_url``.

    HTTPS when ``mock_kling_tls`` is true; result URLs then use https too.
    """
    return _mock_kling_pool.server(mock_kling, tls=mock_kling_tls)


@pytest.fixture
def mock_kling_client(
    mock_kling: MockKling, mock_kling_server: ServerThread, _mock_kling_pool: _Pool
) -> Iterator[httpx.Client]:
    """An httpx.Client on the served mock, with the first configured key."""
    import httpx

    with httpx.Client(
        base_url=mock_kling_server.base_url,
        headers=mock_kling.headers(_key(mock_kling)),
        **_client_options(_mock_kling_pool, mock_kling_server),
    ) as client:
        yield client


@pytest.fixture
def mock_kling_async_client(
    mock_kling: MockKling, mock_kling_server: ServerThread, _mock_kling_pool: _Pool
) -> httpx.AsyncClient:
    """The async twin of ``mock_kling_client``: the same server, the same URLs.

    It keeps no connection open, so a test may use it directly or inside ``async with``.
    """
    import httpx

    return httpx.AsyncClient(
        base_url=mock_kling_server.base_url,
        headers=mock_kling.headers(_key(mock_kling)),
        **_client_options(_mock_kling_pool, mock_kling_server),
    )


@pytest.fixture
def mock_kling_sdk(
    mock_kling: MockKling, mock_kling_client: httpx.Client, mock_kling_server: ServerThread
) -> KlingExpand:
    """A ``kling_expand.KlingExpand`` on the served mock, keyed, on the mock's clock."""
    return mock_kling.sdk_client(
        _key(mock_kling), base_url=mock_kling_server.base_url, http_client=mock_kling_client
    )


@pytest.fixture
def mock_kling_async_sdk(
    mock_kling: MockKling,
    mock_kling_async_client: httpx.AsyncClient,
    mock_kling_server: ServerThread,
) -> AsyncKlingExpand:
    """The async twin of ``mock_kling_sdk`` (``kling_expand.AsyncKlingExpand``)."""
    return mock_kling.async_sdk_client(
        _key(mock_kling),
        base_url=mock_kling_server.base_url,
        http_client=mock_kling_async_client,
    )


@pytest.fixture
def mock_kling_env(
    mock_kling: MockKling,
    mock_kling_server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
    _mock_kling_pool: _Pool,
) -> MockKling:
    """Point code that builds its own ``KlingExpand()`` at the served mock, for this test.

    Sets ``COMETAPI_KEY`` and ``KLING_BASE_URL``, and makes the SDK's default clock the
    mock's, so a client built without ``clock=`` waits in mock time too. Over HTTPS it
    also sets ``SSL_CERT_FILE`` to the mock's CA, which httpx trusts from the environment.
    """
    from kling_expand import _client

    monkeypatch.setenv(_client.API_KEY_ENV, _key(mock_kling))
    monkeypatch.setenv(_client.BASE_URL_ENV, mock_kling_server.base_url)
    if mock_kling_server.base_url.startswith("https:"):
        monkeypatch.setenv("SSL_CERT_FILE", str(_mock_kling_pool.tls_files().ca_file))
    monkeypatch.setattr(_client, "SystemClock", lambda: mock_kling.clock)
    return mock_kling


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"the fixture {old!r} is deprecated; use {new!r}", DeprecationWarning, stacklevel=2
    )


@pytest.fixture
def kling_mock_config(mock_kling_config: MockConfig) -> MockConfig:
    """Deprecated: ``mock_kling_config``."""
    _deprecated("kling_mock_config", "mock_kling_config")
    return mock_kling_config


@pytest.fixture
def kling_mock(mock_kling: MockKling) -> MockKling:
    """Deprecated (it shadowed the package): ``mock_kling``."""
    _deprecated("kling_mock", "mock_kling")
    return mock_kling


@pytest.fixture
def kling_mock_server(mock_kling_server: ServerThread) -> ServerThread:
    """Deprecated: ``mock_kling_server``."""
    _deprecated("kling_mock_server", "mock_kling_server")
    return mock_kling_server


@pytest.fixture
def kling_mock_client(mock_kling_client: httpx.Client) -> httpx.Client:
    """Deprecated: ``mock_kling_client``."""
    _deprecated("kling_mock_client", "mock_kling_client")
    return mock_kling_client


@pytest.fixture
def kling_mock_async_client(mock_kling_async_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Deprecated: ``mock_kling_async_client``."""
    _deprecated("kling_mock_async_client", "mock_kling_async_client")
    return mock_kling_async_client
