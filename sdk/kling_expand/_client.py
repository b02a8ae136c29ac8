"""The clients: :class:`KlingExpand` (blocking) and :class:`AsyncKlingExpand`.

Both take the same arguments, offer the same operations and follow the same
plans (``_core.py``); they differ only in how they wait for I/O.

>>> import httpx
>>> refuse = httpx.MockTransport(lambda request: httpx.Response(500))
>>> client = KlingExpand(api_key="sk-test", transport=refuse)
>>> client
KlingExpand(base_url='https://api.cometapi.com', api_key='***')
>>> client.close()
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Self, TypedDict, TypeVar, Unpack, cast

import httpx

from kling_spec import ExpandConstraints, ListQuery, load_resolved_spec

from ._batch import (
    BatchEngine,
    BatchItem,
    BatchOptions,
    BatchOutcome,
    expand_many,
)
from ._checks import build_create_request
from ._core import (
    LookupMode,
    Plan,
    Settings,
    create_task,
    find_by_external_id,
    get_task,
    list_page,
    next_page,
)
from ._downloads import download_image, save_images
from ._exceptions import ConfigurationError, InputValidationError, make_status_error
from ._gateway import API_KEY_ENV as API_KEY_ENV  # named here for code that sets them
from ._gateway import BASE_URL_ENV as BASE_URL_ENV
from ._gateway import GatewayName, resolve_gateway
from ._images import ImageInput, PreparedImage, prepare_image
from ._models import ResultImage, SavedImage, Task
from ._polling import PollPolicy, check_wait, wait_for
from ._ratios import Anchor, Ratios, ratios_for_aspect
from ._retry import Clock, RetryPolicy, SystemClock, default_rand
from ._transport import AsyncDriver, AsyncHTTP, SyncDriver, ThreadedHTTP


@dataclass(frozen=True)
class RequestOptions:
    """Per-call overrides: a timeout, a retry count, extra headers."""

    timeout: float | httpx.Timeout | None = None
    max_retries: int | None = None
    extra_headers: Mapping[str, str] = field(default_factory=dict)


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


def default_base_url(spec: Mapping[str, Any] | None = None) -> str:
    """The first server the resolved spec names."""
    spec = spec if spec is not None else load_resolved_spec()
    return str(spec["servers"][0]["url"]).rstrip("/")


def _list_defaults(spec: Mapping[str, Any]) -> tuple[int, int]:
    """(default page size, largest page number) of the list operation, from the spec."""
    query = ListQuery.from_spec(spec)
    return query.page_size.default, query.page_num.maximum


_WAIT_KEYS = frozenset(WaitParams.__annotations__)

if TYPE_CHECKING:
    from kling_expand_api.models import ExpandImageRequest

R = TypeVar("R")


class _BaseClient:
    """Configuration and everything that is not I/O, shared by both clients."""

    _settings: Settings

    def _configure(
        self, config: ClientConfig, http_client: httpx.Client | httpx.AsyncClient | None
    ) -> None:
        unknown = set(config) - set(ClientConfig.__annotations__)
        if unknown:
            raise TypeError(f"unexpected argument(s): {', '.join(sorted(unknown))}")
        spec = config.get("spec")
        external_id_lookup = config.get("external_id_lookup", "list")
        timeout = config.get("timeout", 60.0)
        retry_policy = config.get("retry_policy")
        resolved_spec = spec if spec is not None else load_resolved_spec()
        clock = config.get("clock") or SystemClock()
        gateway = resolve_gateway(
            clock=clock,
            spec_base_url=default_base_url(resolved_spec),
            gateway=config.get("gateway"),
            api_key=config.get("api_key"),
            access_key=config.get("access_key"),
            secret_key=config.get("secret_key"),
            base_url=config.get("base_url"),
            own_base_url=str(http_client.base_url).rstrip("/") if http_client else "",
            authenticates_itself=http_client is not None and "Authorization" in http_client.headers,
        )
        if external_id_lookup not in ("list", "path"):
            raise ConfigurationError("external_id_lookup must be 'list' or 'path'")
        retry = retry_policy or RetryPolicy()
        extra: dict[str, Any] = {
            name: config[name]
            for name in ("new_external_id", "download_max_bytes")
            if name in config
        }
        page_size, max_page = _list_defaults(resolved_spec)
        self._settings = Settings(
            gateway=gateway,
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            retry=dataclasses.replace(retry, max_retries=config["max_retries"])
            if retry_policy is None and config.get("max_retries") is not None
            else retry,
            poll=config.get("poll_policy") or PollPolicy(),
            clock=clock,
            rand=config.get("rand") or default_rand,
            constraints=config.get("constraints") or ExpandConstraints.from_spec(spec),
            lookup=external_id_lookup,
            page_size=page_size,
            max_page=max_page,
            **extra,
        )

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def constraints(self) -> ExpandConstraints:
        return self._settings.constraints

    def __repr__(self) -> str:
        credentials = self._settings.gateway.credentials_repr
        return f"{type(self).__name__}(base_url={self._settings.base_url!r}, {credentials})"

    def _copy_with(self, **changes: Any) -> Self:
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._settings = self._settings.with_call_options(**changes)
        return clone

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A client sharing this one's connections, with other defaults for its calls."""
        return self._copy_with(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers
        )

    def _settings_for(self, options: RequestOptions | None) -> Settings:
        if options is None:
            return self._settings
        return self._settings.with_call_options(
            timeout=options.timeout,
            max_retries=options.max_retries,
            extra_headers=options.extra_headers,
        )

    def check(self, image: ImageInput, **params: Unpack[ExpandParams]) -> ExpandImageRequest:
        """The create request ``submit`` would send, checked against the spec; sends nothing.

        Raises :class:`InputValidationError` for what the service would refuse.
        """
        return self._prepare(image, params)[0]

    def _submit_plan(
        self, image: ImageInput, params: ExpandParams, *, may_exist: bool = False
    ) -> tuple[Plan[Task], PreparedImage, Ratios]:
        """Prepare, check and plan a create request; raises before any I/O."""
        body, prepared, ratios = self._prepare(image, params)
        settings = self._settings_for(params.get("options"))
        return create_task(settings, body, may_exist=may_exist), prepared, ratios

    def _prepare(
        self, image: ImageInput, params: ExpandParams
    ) -> tuple[ExpandImageRequest, PreparedImage, Ratios]:
        unknown = set(params) - set(ExpandParams.__annotations__)
        if unknown:
            raise TypeError(f"unexpected argument(s): {', '.join(sorted(unknown))}")
        settings = self._settings_for(params.get("options"))
        constraints = settings.constraints
        prepared = prepare_image(image, constraints)
        ratios = self._ratios_of(prepared, params)
        body = build_create_request(
            prepared,
            ratios,
            constraints=constraints,
            external_task_id=params.get("external_task_id") or settings.new_external_id(),
            prompt=params.get("prompt"),
            n=params.get("n"),
            watermark=params.get("watermark"),
            callback_url=params.get("callback_url"),
        )
        return body, prepared, ratios

    def _ratios_of(self, prepared: PreparedImage, params: ExpandParams) -> Ratios:
        raw: Mapping[str, Any] = params
        sides = {name: raw[name] for name in ("up", "down", "left", "right") if name in raw}
        given = [bool(sides), "ratios" in params, "aspect" in params]
        if sum(given) > 1:
            raise TypeError("give the ratios one way: up/down/left/right, ratios= or aspect=")
        if "ratios" in params:
            return params["ratios"]
        if "aspect" in params:
            if prepared.info is None:
                raise InputValidationError(
                    [("aspect", "needs the image's size: pass the image, not its URL")]
                )
            size = (prepared.info.width, prepared.info.height)
            return ratios_for_aspect(
                size,
                params["aspect"],
                anchor=params.get("anchor", "center"),
                constraints=self._settings.constraints,
            )
        return Ratios(**sides)

    @staticmethod
    def _split(params: ExpandAndWaitParams) -> tuple[ExpandParams, WaitParams]:
        submit = {k: v for k, v in params.items() if k not in _WAIT_KEYS or k == "options"}
        wait = cast(WaitParams, {k: v for k, v in params.items() if k in _WAIT_KEYS})
        # Checked before the paid create, which a wait that cannot run would waste.
        check_wait(wait.get("timeout"), wait.get("poll_interval"))
        return cast(ExpandParams, submit), wait

    def _wait_plan(self, task_id: str, params: WaitParams) -> Plan[Task]:
        settings = self._settings_for(params.get("options"))
        return wait_for(
            settings,
            task_id,
            timeout=params.get("timeout"),
            poll_interval=params.get("poll_interval"),
            on_progress=params.get("on_progress"),
        )

    def _lookup_plan(self, external_task_id: str, options: RequestOptions | None) -> Plan[Task]:
        settings = self._settings_for(options)
        task = yield from find_by_external_id(settings, external_task_id)
        if task is None:
            # Said as the service says a missing task, through the one mapping (and redaction).
            raise make_status_error(
                HTTPStatus.NOT_FOUND,
                {"message": f"no task with external_task_id {external_task_id!r}"},
                redact=settings.secrets,
            )
        return task

    def _save_plan(
        self, task: Task, directory: str | os.PathLike[str], options: SaveOptions
    ) -> Plan[list[SavedImage]]:
        return save_images(self._settings, task, Path(directory), **options)


@dataclass(frozen=True)
class _ResultBase(Generic[R]):
    task: Task
    ratios: Ratios
    source: PreparedImage = field(repr=False)
    _client: R = field(repr=False)

    @property
    def images(self) -> tuple[ResultImage, ...]:
        return self.task.images


class ExpandResult(_ResultBase["KlingExpand"]):
    """A finished expansion: the task, the ratios used, and its images to fetch or save."""

    def fetch(self, *, watermarked: bool = False) -> list[bytes]:
        """The images' bytes, in index order (checked: an image of the type announced)."""
        driver = self._client._driver
        settings = self._client._settings
        return [
            driver.run(download_image(settings, image, watermarked=watermarked))[0]
            for image in self.task.images
        ]

    def save(
        self, directory: str | os.PathLike[str], **options: Unpack[SaveOptions]
    ) -> list[SavedImage]:
        """Write every image into ``directory`` (temp file, then rename)."""
        return self._client.download(self.task, directory, **options)


class AsyncExpandResult(_ResultBase["AsyncKlingExpand"]):
    """The async twin of :class:`ExpandResult`."""

    async def fetch(self, *, watermarked: bool = False) -> list[bytes]:
        driver = self._client._driver
        settings = self._client._settings
        return [
            (await driver.run(download_image(settings, image, watermarked=watermarked)))[0]
            for image in self.task.images
        ]

    async def save(
        self, directory: str | os.PathLike[str], **options: Unpack[SaveOptions]
    ) -> list[SavedImage]:
        return await self._client.download(self.task, directory, **options)


def _own_client(
    http_client: Any, transport: Any, settings: Settings, factory: type[Any]
) -> tuple[Any, bool]:
    if http_client is not None and transport is not None:
        raise ConfigurationError("pass http_client or transport, not both")
    if http_client is not None:
        return http_client, False
    client = factory(
        base_url=settings.base_url,
        timeout=settings.timeout,
        transport=transport,
        follow_redirects=True,
    )
    return client, True


class KlingExpand(_BaseClient):
    """Expand images with Kling through CometAPI, blocking.

    Configured by arguments or the environment (``COMETAPI_KEY``,
    ``KLING_BASE_URL``). Pass ``http_client`` (an ``httpx.Client``) or
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
        self._configure(config, http_client)
        self._transport = transport
        http, self._owns_http = _own_client(http_client, transport, self._settings, httpx.Client)
        self._driver = SyncDriver(self._settings, http)

    def submit(self, image: ImageInput, **params: Unpack[ExpandParams]) -> Task:
        """Check and submit one expansion; return the new task (not yet finished)."""
        plan, _, _ = self._submit_plan(image, params)
        return self._driver.run(plan)

    def get(self, task_id: str, *, options: RequestOptions | None = None) -> Task:
        """The task as the service reports it now."""
        return self._driver.run(get_task(self._settings_for(options), task_id))

    def get_by_external_id(
        self, external_task_id: str, *, options: RequestOptions | None = None
    ) -> Task:
        """The task created with your ``external_task_id``; :class:`NotFoundError` if none."""
        return self._driver.run(self._lookup_plan(external_task_id, options))

    def list(
        self, *, page_size: int | None = None, options: RequestOptions | None = None
    ) -> Iterator[Task]:
        """Every task of the account, newest first, fetching pages as you iterate."""
        settings = self._settings_for(options)
        size = page_size or settings.page_size
        page_num: int | None = 1
        while page_num is not None:
            page = self._driver.run(list_page(settings, page_num, size))
            yield from page
            page_num = next_page(settings, page_num, page, size)

    def wait(self, task_id: str, **params: Unpack[WaitParams]) -> Task:
        """Poll until the task succeeds; raise if it fails or the deadline passes."""
        return self._driver.run(self._wait_plan(task_id, params))

    def expand(self, image: ImageInput, **params: Unpack[ExpandAndWaitParams]) -> ExpandResult:
        """Submit and wait: the finished task, ready to ``.save(dir)``."""
        submit, wait = self._split(params)
        plan, prepared, ratios = self._submit_plan(image, submit)
        task = self._driver.run(plan)
        done = self.wait(task.id, **wait)
        return ExpandResult(done, ratios, prepared, self)

    def download(
        self, task: Task, directory: str | os.PathLike[str], **options: Unpack[SaveOptions]
    ) -> builtins.list[SavedImage]:
        """Save every image of a finished task into ``directory`` (temp file, then rename)."""
        return self._driver.run(self._save_plan(task, directory, options))

    def expand_many(
        self, items: Iterable[BatchItem | ImageInput], **options: Unpack[BatchOptions]
    ) -> builtins.list[BatchOutcome]:
        """Expand many images concurrently, resumably (see :mod:`kling_expand._batch`).

        Runs on an async twin of this client with the same settings (those given
        to :meth:`with_options` too). The twin sends through this client's own
        connection on worker threads (a custom ``http_client``, with its headers,
        auth and proxies, or a ``transport`` that serves only blocking requests),
        or through an async connection of its own to the same place otherwise.
        """

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # no loop running here: the batch can have one of its own
        else:
            raise RuntimeError("inside an event loop, use AsyncKlingExpand.expand_many")

        async def run() -> builtins.list[BatchOutcome]:
            async with self._async_twin() as twin:
                return await expand_many(twin._batch_engine(), items, **options)

        return asyncio.run(run())

    def _async_twin(self) -> AsyncKlingExpand:
        """An async client with this one's settings, sending where this one sends."""
        transport = self._transport
        if self._owns_http and (
            transport is None or isinstance(transport, httpx.AsyncBaseTransport)
        ):
            http, owns = _own_client(None, transport, self._settings, httpx.AsyncClient)
            return AsyncKlingExpand._sharing(self, AsyncHTTP(http), owns_http=owns)
        return AsyncKlingExpand._sharing(self, ThreadedHTTP(self._driver.http), owns_http=False)

    def close(self) -> None:
        if self._owns_http:
            self._driver.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncKlingExpand(_BaseClient):
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
        self._configure(config, http_client)
        http, self._owns_http = _own_client(
            http_client, transport, self._settings, httpx.AsyncClient
        )
        self._driver = AsyncDriver(self._settings, AsyncHTTP(http))

    @classmethod
    def _sharing(cls, source: _BaseClient, http: AsyncHTTP, *, owns_http: bool) -> Self:
        """A client with ``source``'s settings, sending through ``http``."""
        twin = object.__new__(cls)
        twin._settings = source._settings
        twin._driver = AsyncDriver(source._settings, http)
        twin._owns_http = owns_http
        return twin

    async def submit(self, image: ImageInput, **params: Unpack[ExpandParams]) -> Task:
        plan, _, _ = self._submit_plan(image, params)
        return await self._driver.run(plan)

    async def get(self, task_id: str, *, options: RequestOptions | None = None) -> Task:
        return await self._driver.run(get_task(self._settings_for(options), task_id))

    async def get_by_external_id(
        self, external_task_id: str, *, options: RequestOptions | None = None
    ) -> Task:
        return await self._driver.run(self._lookup_plan(external_task_id, options))

    async def list(
        self, *, page_size: int | None = None, options: RequestOptions | None = None
    ) -> AsyncIterator[Task]:
        settings = self._settings_for(options)
        size = page_size or settings.page_size
        page_num: int | None = 1
        while page_num is not None:
            page = await self._driver.run(list_page(settings, page_num, size))
            for task in page:
                yield task
            page_num = next_page(settings, page_num, page, size)

    async def wait(self, task_id: str, **params: Unpack[WaitParams]) -> Task:
        return await self._driver.run(self._wait_plan(task_id, params))

    async def expand(
        self, image: ImageInput, **params: Unpack[ExpandAndWaitParams]
    ) -> AsyncExpandResult:
        submit, wait = self._split(params)
        plan, prepared, ratios = self._submit_plan(image, submit)
        task = await self._driver.run(plan)
        done = await self.wait(task.id, **wait)
        return AsyncExpandResult(done, ratios, prepared, self)

    async def download(
        self, task: Task, directory: str | os.PathLike[str], **options: Unpack[SaveOptions]
    ) -> builtins.list[SavedImage]:
        return await self._driver.run(self._save_plan(task, directory, options))

    async def expand_many(
        self, items: Iterable[BatchItem | ImageInput], **options: Unpack[BatchOptions]
    ) -> builtins.list[BatchOutcome]:
        """Expand many images, at most ``concurrency`` at once, resumably from ``journal``."""
        return await expand_many(self._batch_engine(), items, **options)

    def _batch_engine(self) -> BatchEngine:
        async def submit(image: ImageInput, params: Mapping[str, Any], may_exist: bool) -> Task:
            plan, _, _ = self._submit_plan(image, cast(ExpandParams, params), may_exist=may_exist)
            return await self._driver.run(plan)

        return BatchEngine(
            base_url=self.base_url,
            constraints=self.constraints,
            get_by_external_id=self.get_by_external_id,
            wait=self.wait,
            download=self.download,
            submit=submit,
            new_external_id=self._settings.new_external_id,
            account=self._settings.gateway.account,
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._driver.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
