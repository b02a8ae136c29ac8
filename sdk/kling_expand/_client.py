"""The clients: :class:`KlingExpand` (blocking) and :class:`AsyncKlingExpand`.

Both take the same arguments, offer the same operations and run on one
:class:`~kling_expand._engine.Engine` each (settings and a driver); they differ
only in how they wait for I/O.

>>> import httpx
>>> refuse = httpx.MockTransport(lambda request: httpx.Response(500))
>>> client = KlingExpand(api_key="sk-test", transport=refuse)
>>> client
KlingExpand(base_url='https://api.cometapi.com', api_key='***')
>>> client.close()
"""

from __future__ import annotations

import builtins
import copy
import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Self, TypedDict, TypeVar, Unpack

import httpx

from kling_spec import ExpandConstraints

from ._batch import BatchItem, BatchOptions, BatchOutcome, expand_many
from ._core import LookupMode, get_task, list_page, next_page
from ._engine import CreateArgs, Engine, RequestOptions, batch_parts, make_settings, open_http
from ._gateway import API_KEY_ENV as API_KEY_ENV  # named here for code that sets them
from ._gateway import BASE_URL_ENV as BASE_URL_ENV
from ._gateway import GatewayName
from ._images import ImageInput, PreparedImage
from ._models import ResultImage, SavedImage, Task
from ._polling import PollPolicy, check_wait
from ._ratios import Anchor, Ratios
from ._retry import Clock, RetryPolicy, SystemClock
from ._transport import AsyncDriver, AsyncHTTP, SyncDriver, ThreadedHTTP

if TYPE_CHECKING:
    from kling_expand_api.models import ExpandImageRequest

__all__ = [
    "AsyncExpandResult",
    "AsyncKlingExpand",
    "ClientConfig",
    "ExpandAndWaitParams",
    "ExpandParams",
    "ExpandResult",
    "KlingExpand",
    "RequestOptions",
    "SaveOptions",
    "WaitParams",
]


class ExpandParams(TypedDict, total=False):
    """What a create request can say besides the image (all optional).

    Give the ratios as ``up``/``down``/``left``/``right``, as ``ratios=Ratios(...)``,
    or as ``aspect="16:9"`` (with ``anchor``) to let :func:`ratios_for_aspect` pick them.
    """

    up: float
    down: float
    left: float
    right: float
    ratios: Ratios
    aspect: str
    anchor: Anchor
    prompt: str
    n: int
    watermark: bool
    external_task_id: str
    callback_url: str
    options: RequestOptions


class WaitParams(TypedDict, total=False):
    """How to wait for a task: overall deadline, first poll gap, progress callback.

    ``options`` apply to each poll's request (``expand`` uses them for both steps).
    """

    timeout: float
    poll_interval: float
    on_progress: Callable[[Task], object]
    options: RequestOptions


class ExpandAndWaitParams(ExpandParams, WaitParams, total=False):
    pass


class SaveOptions(TypedDict, total=False):
    """How to save results: the watermarked copies, a callback per saved image."""

    watermarked: bool
    on_saved: Callable[[SavedImage], object]
    skip_existing: bool


class ClientConfig(TypedDict, total=False):
    """How a client is set up (every key optional); both clients take the same ones.

    ``api_key`` (CometAPI's) defaults to ``COMETAPI_KEY``; ``access_key`` and
    ``secret_key`` (Kling's own, which make the client talk to Kling directly with
    short-lived JWTs) default to ``KLING_ACCESS_KEY`` and ``KLING_SECRET_KEY``;
    ``gateway`` (``"cometapi"`` or ``"kling"``) chooses when the environment holds
    both (CometAPI's key wins otherwise); see ``_gateway.py``. ``base_url``
    defaults to the base URL of the ``http_client`` passed in, if it has one, then
    ``KLING_BASE_URL``, then the gateway's own (the spec's server, or Kling's); a
    ``base_url`` given explicitly wins over the ``http_client``'s. ``timeout`` (s,
    or an ``httpx.Timeout``) bounds each request; ``max_retries`` or a whole
    ``retry_policy`` set retries;
    ``poll_policy`` sets how ``wait`` polls. ``spec`` or ``constraints`` replace
    the shipped resolved spec's limits. ``external_id_lookup`` is ``"list"`` (the
    list operation's ``external_task_id`` filter, the default) or ``"path"``
    (Kling's get-path resolution). ``clock``, ``rand`` and ``new_external_id``
    make time, jitter and invented ids controllable; ``download_max_bytes``
    bounds a result download.
    """

    api_key: str
    access_key: str
    secret_key: str
    gateway: GatewayName
    base_url: str
    timeout: float | httpx.Timeout
    max_retries: int
    retry_policy: RetryPolicy
    poll_policy: PollPolicy
    spec: Mapping[str, Any]
    constraints: ExpandConstraints
    external_id_lookup: LookupMode
    clock: Clock
    rand: Callable[[], float]
    new_external_id: Callable[[], str]
    download_max_bytes: int


def _default_clock() -> Clock:
    # Looked up when a client is made, so code (a test plugin) may swap the default.
    return SystemClock()


D = TypeVar("D", SyncDriver, AsyncDriver)


class _BaseClient(Generic[D]):
    """What both clients share, all of it on their engine."""

    _engine: Engine[D]

    @property
    def base_url(self) -> str:
        return self._engine.settings.base_url

    @property
    def constraints(self) -> ExpandConstraints:
        return self._engine.settings.constraints

    def __repr__(self) -> str:
        settings = self._engine.settings
        credentials = settings.gateway.credentials_repr
        return f"{type(self).__name__}(base_url={settings.base_url!r}, {credentials})"

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A client sharing this one's connections, with other defaults for its calls."""
        clone = copy.copy(self)
        clone._engine = self._engine.with_call_options(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers
        )
        return clone

    def check(
        self,
        image: ImageInput,
        *,
        up: float | None = None,
        down: float | None = None,
        left: float | None = None,
        right: float | None = None,
        ratios: Ratios | None = None,
        aspect: str | None = None,
        anchor: Anchor = "center",
        prompt: str | None = None,
        n: int | None = None,
        watermark: bool | None = None,
        external_task_id: str | None = None,
        callback_url: str | None = None,
        options: RequestOptions | None = None,
    ) -> ExpandImageRequest:
        """The create request ``submit`` would send, checked against the spec; sends nothing.

        The ratios are given one way: ``up``/``down``/``left``/``right``, ``ratios=``,
        or ``aspect=`` (with ``anchor``). Raises :class:`InputValidationError` for what
        the service would refuse.
        """
        args = CreateArgs(
            up, down, left, right, ratios, aspect, anchor, prompt, n, watermark,
            external_task_id, callback_url,
        )  # fmt: skip
        return self._engine.prepare(image, args, options)[0]


@dataclass(frozen=True)
class _ResultBase(Generic[D]):
    task: Task
    ratios: Ratios
    source: PreparedImage = field(repr=False)
    engine: Engine[D] = field(repr=False, compare=False)

    @property
    def images(self) -> tuple[ResultImage, ...]:
        return self.task.images


class ExpandResult(_ResultBase[SyncDriver]):
    """A finished expansion: the task, the ratios used, and its images to fetch or save."""

    def fetch(self, *, watermarked: bool = False) -> list[bytes]:
        """The images' bytes, in index order (checked: an image of the type announced)."""
        run = self.engine.driver.run
        return [
            run(self.engine.fetch_plan(image, watermarked=watermarked))[0]
            for image in self.task.images
        ]

    def save(
        self,
        directory: str | os.PathLike[str],
        *,
        watermarked: bool = False,
        on_saved: Callable[[SavedImage], object] | None = None,
        skip_existing: bool = False,
    ) -> list[SavedImage]:
        """Write every image into ``directory`` (temp file, then rename)."""
        plan = self.engine.save_plan(
            self.task,
            directory,
            watermarked=watermarked,
            on_saved=on_saved,
            skip_existing=skip_existing,
        )
        return self.engine.driver.run(plan)


class AsyncExpandResult(_ResultBase[AsyncDriver]):
    """The async twin of :class:`ExpandResult`."""

    async def fetch(self, *, watermarked: bool = False) -> list[bytes]:
        run = self.engine.driver.run
        return [
            (await run(self.engine.fetch_plan(image, watermarked=watermarked)))[0]
            for image in self.task.images
        ]

    async def save(
        self,
        directory: str | os.PathLike[str],
        *,
        watermarked: bool = False,
        on_saved: Callable[[SavedImage], object] | None = None,
        skip_existing: bool = False,
    ) -> list[SavedImage]:
        plan = self.engine.save_plan(
            self.task,
            directory,
            watermarked=watermarked,
            on_saved=on_saved,
            skip_existing=skip_existing,
        )
        return await self.engine.driver.run(plan)


class KlingExpand(_BaseClient[SyncDriver]):
    """Expand images with Kling (through CometAPI, or directly), blocking.

    Configured by arguments or the environment: ``api_key`` (``COMETAPI_KEY``) for
    CometAPI, or ``access_key`` and ``secret_key`` (``KLING_ACCESS_KEY``,
    ``KLING_SECRET_KEY``) for Kling's own API; ``KLING_BASE_URL`` (see
    :class:`ClientConfig`). Pass ``http_client`` (an ``httpx.Client``) or
    ``transport`` to control the connection; ``clock`` to control time. An
    ``http_client`` with a base URL of its own (a proxy, say) names the API when
    ``base_url`` is not given. The SDK changes nothing on that client (it may be
    shared, even by clients with other keys) and leaves closing it to you.

    Example (against a real service)::

        with KlingExpand() as client:
            result = client.expand("photo.jpg", aspect="16:9", prompt="more beach")
            result.save("out/")
    """

    def __init__(
        self,
        *,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        **config: Unpack[ClientConfig],
    ) -> None:
        settings = make_settings(http_client, default_clock=_default_clock, **config)
        self._transport = transport
        http, self._owns_http = open_http(http_client, transport, settings, httpx.Client)
        self._engine = Engine(settings, SyncDriver(settings, http))

    def submit(
        self,
        image: ImageInput,
        *,
        up: float | None = None,
        down: float | None = None,
        left: float | None = None,
        right: float | None = None,
        ratios: Ratios | None = None,
        aspect: str | None = None,
        anchor: Anchor = "center",
        prompt: str | None = None,
        n: int | None = None,
        watermark: bool | None = None,
        external_task_id: str | None = None,
        callback_url: str | None = None,
        options: RequestOptions | None = None,
    ) -> Task:
        """Check and submit one expansion; return the new task (not yet finished).

        The ratios are given one way: ``up``/``down``/``left``/``right``, ``ratios=``,
        or ``aspect=`` (with ``anchor``) for :func:`ratios_for_aspect` to choose.
        """
        args = CreateArgs(
            up, down, left, right, ratios, aspect, anchor, prompt, n, watermark,
            external_task_id, callback_url,
        )  # fmt: skip
        plan, _, _ = self._engine.submit_plan(image, args, options)
        return self._engine.driver.run(plan)

    def get(self, task_id: str, *, options: RequestOptions | None = None) -> Task:
        """The task as the service reports it now."""
        return self._engine.driver.run(get_task(self._engine.settings_for(options), task_id))

    def get_by_external_id(
        self, external_task_id: str, *, options: RequestOptions | None = None
    ) -> Task:
        """The task created with your ``external_task_id``; :class:`NotFoundError` if none."""
        return self._engine.driver.run(self._engine.lookup_plan(external_task_id, options))

    def list(
        self, *, page_size: int | None = None, options: RequestOptions | None = None
    ) -> Iterator[Task]:
        """Every task of the account, newest first, fetching pages as you iterate."""
        settings = self._engine.settings_for(options)
        size = page_size or settings.page_size
        page_num: int | None = 1
        while page_num is not None:
            page = self._engine.driver.run(list_page(settings, page_num, size))
            yield from page
            page_num = next_page(settings, page_num, page, size)

    def wait(
        self,
        task_id: str,
        *,
        timeout: float | None = None,
        poll_interval: float | None = None,
        on_progress: Callable[[Task], object] | None = None,
        options: RequestOptions | None = None,
    ) -> Task:
        """Poll until the task succeeds; raise if it fails or the deadline passes."""
        plan = self._engine.wait_plan(
            task_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            options=options,
        )
        return self._engine.driver.run(plan)

    def expand(
        self,
        image: ImageInput,
        *,
        up: float | None = None,
        down: float | None = None,
        left: float | None = None,
        right: float | None = None,
        ratios: Ratios | None = None,
        aspect: str | None = None,
        anchor: Anchor = "center",
        prompt: str | None = None,
        n: int | None = None,
        watermark: bool | None = None,
        external_task_id: str | None = None,
        callback_url: str | None = None,
        timeout: float | None = None,
        poll_interval: float | None = None,
        on_progress: Callable[[Task], object] | None = None,
        options: RequestOptions | None = None,
    ) -> ExpandResult:
        """Submit and wait (``options`` apply to both): the finished task, ready to
        ``.save(dir)``."""
        check_wait(timeout, poll_interval)  # before the paid create a bad wait would waste
        args = CreateArgs(
            up, down, left, right, ratios, aspect, anchor, prompt, n, watermark,
            external_task_id, callback_url,
        )  # fmt: skip
        plan, prepared, chosen = self._engine.submit_plan(image, args, options)
        task = self._engine.driver.run(plan)
        done = self.wait(
            task.id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            options=options,
        )
        return ExpandResult(done, chosen, prepared, self._engine)

    def download(
        self,
        task: Task,
        directory: str | os.PathLike[str],
        *,
        watermarked: bool = False,
        on_saved: Callable[[SavedImage], object] | None = None,
        skip_existing: bool = False,
    ) -> builtins.list[SavedImage]:
        """Save every image of a finished task into ``directory`` (temp file, then rename)."""
        plan = self._engine.save_plan(
            task,
            directory,
            watermarked=watermarked,
            on_saved=on_saved,
            skip_existing=skip_existing,
        )
        return self._engine.driver.run(plan)

    def expand_many(
        self, items: Iterable[BatchItem | ImageInput], **options: Unpack[BatchOptions]
    ) -> builtins.list[BatchOutcome]:
        """Expand many images concurrently, resumably (see :mod:`kling_expand._batch`).

        Runs on an async twin of this client's engine with the same settings (those
        given to :meth:`with_options` too). The twin sends through this client's own
        connection on worker threads (a custom ``http_client``, with its headers,
        auth and proxies, or a ``transport`` that serves only blocking requests),
        or through an async connection of its own to the same place otherwise.
        """
        import asyncio  # only a batch of the blocking client needs a loop of its own

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # no loop running here: the batch can have one of its own
        else:
            raise RuntimeError("inside an event loop, use AsyncKlingExpand.expand_many")

        async def run() -> builtins.list[BatchOutcome]:
            http, owns = self._async_http()
            try:
                twin = Engine(self._engine.settings, AsyncDriver(self._engine.settings, http))
                return await expand_many(batch_parts(twin), items, **options)
            finally:
                if owns:
                    await http.aclose()

        return asyncio.run(run())

    def _async_http(self) -> tuple[AsyncHTTP, bool]:
        """An async connection sending where this client sends, and whether it is owned."""
        transport = self._transport
        if self._owns_http and (
            transport is None or isinstance(transport, httpx.AsyncBaseTransport)
        ):
            settings = self._engine.settings
            http, owns = open_http(None, transport, settings, httpx.AsyncClient)
            return AsyncHTTP(http), owns
        return ThreadedHTTP(self._engine.driver.http), False

    def close(self) -> None:
        if self._owns_http:
            self._engine.driver.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncKlingExpand(_BaseClient[AsyncDriver]):
    """The async twin of :class:`KlingExpand`: the same arguments and operations, awaited.

    Example (against a real service)::

        async with AsyncKlingExpand() as client:
            result = await client.expand("photo.jpg", aspect="16:9")
            await result.save("out/")
    """

    def __init__(
        self,
        *,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **config: Unpack[ClientConfig],
    ) -> None:
        settings = make_settings(http_client, default_clock=_default_clock, **config)
        http, self._owns_http = open_http(http_client, transport, settings, httpx.AsyncClient)
        self._engine = Engine(settings, AsyncDriver(settings, AsyncHTTP(http)))

    async def submit(
        self,
        image: ImageInput,
        *,
        up: float | None = None,
        down: float | None = None,
        left: float | None = None,
        right: float | None = None,
        ratios: Ratios | None = None,
        aspect: str | None = None,
        anchor: Anchor = "center",
        prompt: str | None = None,
        n: int | None = None,
        watermark: bool | None = None,
        external_task_id: str | None = None,
        callback_url: str | None = None,
        options: RequestOptions | None = None,
    ) -> Task:
        """Check and submit one expansion; return the new task (not yet finished)."""
        args = CreateArgs(
            up, down, left, right, ratios, aspect, anchor, prompt, n, watermark,
            external_task_id, callback_url,
        )  # fmt: skip
        plan, _, _ = self._engine.submit_plan(image, args, options)
        return await self._engine.driver.run(plan)

    async def get(self, task_id: str, *, options: RequestOptions | None = None) -> Task:
        return await self._engine.driver.run(get_task(self._engine.settings_for(options), task_id))

    async def get_by_external_id(
        self, external_task_id: str, *, options: RequestOptions | None = None
    ) -> Task:
        return await self._engine.driver.run(self._engine.lookup_plan(external_task_id, options))

    async def list(
        self, *, page_size: int | None = None, options: RequestOptions | None = None
    ) -> AsyncIterator[Task]:
        settings = self._engine.settings_for(options)
        size = page_size or settings.page_size
        page_num: int | None = 1
        while page_num is not None:
            page = await self._engine.driver.run(list_page(settings, page_num, size))
            for task in page:
                yield task
            page_num = next_page(settings, page_num, page, size)

    async def wait(
        self,
        task_id: str,
        *,
        timeout: float | None = None,
        poll_interval: float | None = None,
        on_progress: Callable[[Task], object] | None = None,
        options: RequestOptions | None = None,
    ) -> Task:
        plan = self._engine.wait_plan(
            task_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            options=options,
        )
        return await self._engine.driver.run(plan)

    async def expand(
        self,
        image: ImageInput,
        *,
        up: float | None = None,
        down: float | None = None,
        left: float | None = None,
        right: float | None = None,
        ratios: Ratios | None = None,
        aspect: str | None = None,
        anchor: Anchor = "center",
        prompt: str | None = None,
        n: int | None = None,
        watermark: bool | None = None,
        external_task_id: str | None = None,
        callback_url: str | None = None,
        timeout: float | None = None,
        poll_interval: float | None = None,
        on_progress: Callable[[Task], object] | None = None,
        options: RequestOptions | None = None,
    ) -> AsyncExpandResult:
        check_wait(timeout, poll_interval)  # before the paid create a bad wait would waste
        args = CreateArgs(
            up, down, left, right, ratios, aspect, anchor, prompt, n, watermark,
            external_task_id, callback_url,
        )  # fmt: skip
        plan, prepared, chosen = self._engine.submit_plan(image, args, options)
        task = await self._engine.driver.run(plan)
        done = await self.wait(
            task.id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            options=options,
        )
        return AsyncExpandResult(done, chosen, prepared, self._engine)

    async def download(
        self,
        task: Task,
        directory: str | os.PathLike[str],
        *,
        watermarked: bool = False,
        on_saved: Callable[[SavedImage], object] | None = None,
        skip_existing: bool = False,
    ) -> builtins.list[SavedImage]:
        plan = self._engine.save_plan(
            task,
            directory,
            watermarked=watermarked,
            on_saved=on_saved,
            skip_existing=skip_existing,
        )
        return await self._engine.driver.run(plan)

    async def expand_many(
        self, items: Iterable[BatchItem | ImageInput], **options: Unpack[BatchOptions]
    ) -> builtins.list[BatchOutcome]:
        """Expand many images, at most ``concurrency`` at once, resumably from ``journal``."""
        return await expand_many(batch_parts(self._engine), items, **options)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._engine.driver.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
