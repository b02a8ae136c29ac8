"""The two drivers that perform a plan's effects: one blocking, one async.

Only I/O lives here. Each driver owns (or borrows) an httpx client and performs
:class:`Call`, :class:`Fetch` and :class:`Sleep` effects; the async driver can
also send through a blocking client on worker threads (:class:`ThreadedHTTP`).
Every request is built here, for one call only: its absolute URL under the
client's base URL, the per-call timeout (cut to a wait's deadline) and headers,
and the bearer key (only on requests for the
API's own origin, never on image downloads elsewhere). Nothing is installed on
the httpx client, so one a caller shares between several SDK clients (each with
its own key) is never changed. The generated ``*_detailed`` functions send
through a per-call stand-in for their httpx client, which also keeps hold of
the raw response so an answer the generated parser chokes on (an HTML error
page, malformed JSON, a status ``HTTPStatus`` does not know) is still mapped to
a typed error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import httpx

from ._core import Call, Exchange, Fetch, Fetched, Plan, Settings, Sleep
from ._exceptions import (
    KLING_TOKEN_EXPIRED,
    APIConnectionError,
    APITimeoutError,
    make_status_error,
    redact,
)

if TYPE_CHECKING:
    from kling_expand_api.types import Response

T = TypeVar("T")

# Errors after which the request certainly never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
# What the generated parser raises on a body it cannot read.
_PARSE_ERRORS = (ValueError, KeyError, TypeError, AttributeError)


class _Requests:
    """Builds every request a client sends (shared by both drivers)."""

    def __init__(self, settings: Settings) -> None:
        self._gateway = settings.gateway
        self._origin = httpx.URL(settings.base_url)
        self._clock = settings.clock

    def is_api_request(self, url: httpx.URL) -> bool:
        return (url.scheme, url.host, url.port) == (
            self._origin.scheme,
            self._origin.host,
            self._origin.port,
        ) and url.path.startswith(self._origin.path.rstrip("/") + "/")

    def build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        url: str,
        *,
        timeout: httpx.Timeout | None,
        headers: Mapping[str, str] = {},
        deadline: float | None = None,
        **kwargs: Any,
    ) -> httpx.Request:
        """One request: ``url`` (a path is taken under the base URL), its timeout and headers.

        With a ``deadline`` the timeout (the call's, else the httpx client's) is cut
        to the time left; with none left the request is not sent.
        """
        target = self._gateway.url_for(url) if url.startswith("/") else url
        timeout = self._timeout(http, timeout, deadline, method, url)
        request = http.build_request(
            method,
            target,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            **kwargs,
        )
        request.headers.update(headers)
        if self.is_api_request(request.url):
            authorization = self._gateway.authorization()
            if authorization is not None:
                request.headers["Authorization"] = authorization
        return request

    def renewed_after(self, exchange: Exchange) -> bool:
        """Whether ``exchange`` refused an expired token that is now renewed (send again).

        Only a 401 (the service refused, so nothing was created or charged) with
        Kling's code 1004 on a request that carried the SDK's own token.
        """
        if exchange.status_code != HTTPStatus.UNAUTHORIZED or self._gateway.token is None:
            return False
        code = make_status_error(exchange.status_code, exchange.content).code
        return code == KLING_TOKEN_EXPIRED and self._gateway.renew_token()

    def _timeout(
        self,
        http: httpx.Client | httpx.AsyncClient,
        timeout: httpx.Timeout | None,
        deadline: float | None,
        method: str,
        url: str,
    ) -> httpx.Timeout | None:
        """The request's timeout; None for the httpx client's own."""
        if deadline is None:
            return timeout
        left = deadline - self._clock.monotonic()
        if left <= 0:
            raise APITimeoutError(
                f"{method.upper()} {url} not sent: the deadline has passed", request_sent=False
            )
        base = http.timeout if timeout is None else timeout
        return httpx.Timeout(
            connect=_at_most(base.connect, left),
            read=_at_most(base.read, left),
            write=_at_most(base.write, left),
            pool=_at_most(base.pool, left),
        )


def _at_most(seconds: float | None, limit: float) -> float:
    """``seconds`` cut to ``limit`` (None, no limit of its own, becomes ``limit``)."""
    return limit if seconds is None else min(seconds, limit)


class _Sender:
    """What a generated function sees as its httpx client, for one call."""

    def __init__(self, requests: _Requests, http: httpx.Client | httpx.AsyncClient, call: Call):
        self._requests = requests
        self._http = http
        self._call = call
        self.responses: list[httpx.Response] = []

    def _build(self, method: str, url: str, kwargs: Mapping[str, Any]) -> httpx.Request:
        headers = {**kwargs.get("headers", {}), **self._call.headers}
        rest = {name: value for name, value in kwargs.items() if name != "headers"}
        call = self._call
        return self._requests.build(
            self._http,
            method,
            url,
            timeout=call.timeout,
            headers=headers,
            deadline=call.deadline,
            **rest,
        )


class _SyncSender(_Sender):
    _http: httpx.Client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self._http.send(self._build(method, url, kwargs))
        self.responses.append(response)
        return response


class _AsyncSender(_Sender):
    def __init__(self, requests: _Requests, http: AsyncHTTP, call: Call) -> None:
        super().__init__(requests, http.client, call)
        self._async_http = http

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = await self._async_http.send(self._build(method, url, kwargs))
        self.responses.append(response)
        return response


@contextlib.contextmanager
def _mapped_errors(label: str, secrets: tuple[str, ...]) -> Iterator[None]:
    """Turn every error httpx raises for a request into the SDK's.

    Timeouts become :class:`APITimeoutError`; every other ``httpx.RequestError``
    (a dropped connection, a body that cannot be decoded, a redirect loop, ...)
    :class:`APIConnectionError`.
    """
    try:
        yield
    except httpx.TimeoutException as exc:
        raise APITimeoutError(
            f"{label} timed out", request_sent=not isinstance(exc, _NOT_SENT)
        ) from exc
    except httpx.RequestError as exc:
        message = redact(f"{label} failed: {exc or type(exc).__name__}", secrets)
        raise APIConnectionError(message, request_sent=not isinstance(exc, _NOT_SENT)) from exc


def _exchange(response: Response[Any]) -> Exchange:
    return Exchange(
        int(response.status_code),
        httpx.Headers(response.headers),
        response.content,
        response.parsed,
    )


def _raw_exchange(sender: _Sender, error: Exception) -> Exchange:
    """The answer the generated parser could not read, as raw status and bytes."""
    if not sender.responses:
        raise error
    raw = sender.responses[-1]
    return Exchange(raw.status_code, raw.headers, raw.content, None)


class _BoundedBody:
    """Collects a streamed body, stopping once it passes ``max_bytes`` (memory stays bounded)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk``; return True once the body is over the limit."""
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.chunks.clear()
            return True
        self.chunks.append(chunk)
        return False

    def result(self, response: httpx.Response) -> Fetched:
        too_large = self.size > self.max_bytes
        return Fetched(response.status_code, response.headers, b"".join(self.chunks), too_large)


def _read_bounded(http: httpx.Client, request: httpx.Request, body: _BoundedBody) -> httpx.Response:
    """Send ``request`` and stream its answer into ``body``, stopping once it is too large."""
    response = http.send(request, stream=True)
    try:
        for chunk in response.iter_bytes():
            if body.add(chunk):
                break
    finally:
        response.close()
    return response


class AsyncHTTP:
    """The async driver's connection: an ``httpx.AsyncClient``."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client: httpx.Client | httpx.AsyncClient = client
        self._async_client = client

    async def send(self, request: httpx.Request) -> httpx.Response:
        return await self._async_client.send(request)

    async def read_bounded(self, request: httpx.Request, body: _BoundedBody) -> httpx.Response:
        response = await self._async_client.send(request, stream=True)
        try:
            async for chunk in response.aiter_bytes():
                if body.add(chunk):
                    break
        finally:
            await response.aclose()
        return response

    async def aclose(self) -> None:
        await self._async_client.aclose()


class ThreadedHTTP(AsyncHTTP):
    """A blocking ``httpx.Client`` serving the async driver, each request on a worker thread.

    Lets a batch's async twin of a blocking client send through that client's own
    connection, with everything it was set up with (headers, auth, proxies,
    transport, hooks). The blocking client stays its owner's to close.
    """

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self._sync_client = client

    async def send(self, request: httpx.Request) -> httpx.Response:
        import asyncio  # loaded already: this runs in an event loop

        return await asyncio.to_thread(self._sync_client.send, request)

    async def read_bounded(self, request: httpx.Request, body: _BoundedBody) -> httpx.Response:
        import asyncio

        return await asyncio.to_thread(_read_bounded, self._sync_client, request, body)

    async def aclose(self) -> None:
        return None


class _Stepper(Generic[T]):
    """Walks a plan: hands it each effect's result (or error), collects its return value."""

    def __init__(self, plan: Plan[T]) -> None:
        self._plan = plan
        self._result: Any = None
        self._error: Exception | None = None
        self._done = False
        self._value: Any = None

    def next_effect(self) -> Call | Fetch | Sleep | None:
        """The plan's next effect, or None once it has returned (its errors propagate)."""
        try:
            if self._error is not None:
                effect = self._plan.throw(self._error)
            else:
                effect = self._plan.send(self._result)
        except StopIteration as stop:
            self._done, self._value = True, stop.value
            return None
        self._result, self._error = None, None
        return effect

    def deliver(self, result: object) -> None:
        self._result = result

    def fail(self, error: Exception) -> None:
        self._error = error

    def value(self) -> T:
        assert self._done, "the plan has not finished"
        return cast(T, self._value)


class SyncDriver:
    """Performs effects with a blocking ``httpx.Client``."""

    def __init__(self, settings: Settings, http_client: httpx.Client) -> None:
        self.settings = settings
        self.http = http_client
        self._requests = _Requests(settings)

    def run(self, plan: Plan[T]) -> T:
        stepper = _Stepper(plan)
        while (effect := stepper.next_effect()) is not None:
            try:
                stepper.deliver(self._perform(effect))
            except Exception as exc:  # handed back to the plan, which decides
                stepper.fail(exc)
        return stepper.value()

    def _perform(self, effect: Call | Fetch | Sleep) -> object:
        if isinstance(effect, Sleep):
            self.settings.clock.sleep(effect.seconds)
            return None
        if isinstance(effect, Fetch):
            return self._fetch(effect)
        exchange = self._call(effect)
        return self._call(effect) if self._requests.renewed_after(exchange) else exchange

    def _call(self, effect: Call) -> Exchange:
        from kling_expand_api.client import Client

        sender = _SyncSender(self._requests, self.http, effect)
        # The generated functions only call ``request`` on their httpx client.
        generated = Client(base_url=self.settings.base_url).set_httpx_client(
            cast(httpx.Client, sender)
        )
        with _mapped_errors(effect.label, self.settings.secrets):
            try:
                return _exchange(effect.operation.sync_detailed(client=generated, **effect.kwargs))
            except _PARSE_ERRORS as exc:
                return _raw_exchange(sender, exc)

    def _fetch(self, fetch: Fetch) -> Fetched:
        body = _BoundedBody(fetch.max_bytes)
        with _mapped_errors(f"GET {fetch.url}", self.settings.secrets):
            request = self._requests.build(self.http, "GET", fetch.url, timeout=fetch.timeout)
            response = _read_bounded(self.http, request, body)
        return body.result(response)

    def close(self) -> None:
        self.http.close()


class AsyncDriver:
    """Performs effects with an ``httpx.AsyncClient`` (or a blocking one, on threads)."""

    def __init__(self, settings: Settings, http: AsyncHTTP) -> None:
        self.settings = settings
        self.http = http
        self._requests = _Requests(settings)

    async def run(self, plan: Plan[T]) -> T:
        stepper = _Stepper(plan)
        while (effect := stepper.next_effect()) is not None:
            try:
                stepper.deliver(await self._perform(effect))
            except Exception as exc:  # handed back to the plan, which decides
                stepper.fail(exc)
        return stepper.value()

    async def _perform(self, effect: Call | Fetch | Sleep) -> object:
        if isinstance(effect, Sleep):
            await self.settings.clock.asleep(effect.seconds)
            return None
        if isinstance(effect, Fetch):
            return await self._fetch(effect)
        exchange = await self._call(effect)
        return await self._call(effect) if self._requests.renewed_after(exchange) else exchange

    async def _call(self, effect: Call) -> Exchange:
        from kling_expand_api.client import Client

        sender = _AsyncSender(self._requests, self.http, effect)
        generated = Client(base_url=self.settings.base_url).set_async_httpx_client(
            cast(httpx.AsyncClient, sender)
        )
        with _mapped_errors(effect.label, self.settings.secrets):
            try:
                response = await effect.operation.asyncio_detailed(
                    client=generated, **effect.kwargs
                )
                return _exchange(response)
            except _PARSE_ERRORS as exc:
                return _raw_exchange(sender, exc)

    async def _fetch(self, fetch: Fetch) -> Fetched:
        body = _BoundedBody(fetch.max_bytes)
        with _mapped_errors(f"GET {fetch.url}", self.settings.secrets):
            request = self._requests.build(
                self.http.client, "GET", fetch.url, timeout=fetch.timeout
            )
            response = await self.http.read_bounded(request, body)
        return body.result(response)

    async def aclose(self) -> None:
        await self.http.aclose()
