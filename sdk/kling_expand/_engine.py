"""The one object both clients, their results and their batches run on.

An :class:`Engine` owns a client's resolved :class:`Settings` and its driver
(blocking or async), and turns every operation into a plan (``_core.py``,
``_polling.py``, ``_downloads.py``) that the driver runs. The clients are thin
shells around one: ``with_options`` makes an engine with other call defaults on
the same driver, a result keeps the engine that made it, and a batch is lent the
engine's parts explicitly (:func:`batch_parts`). Nothing here reaches into a
client.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from kling_spec import ExpandConstraints, ListQuery, load_resolved_spec

from ._batch import BatchEngine
from ._checks import build_create_request
from ._core import LookupMode, Plan, Settings, create_task, find_by_external_id
from ._downloads import download_image, save_images
from ._exceptions import ConfigurationError, InputValidationError, make_status_error
from ._gateway import GatewayName, resolve_gateway
from ._images import ImageInput, PreparedImage, prepare_image
from ._models import ResultImage, SavedImage, Task
from ._polling import PollPolicy, wait_for
from ._ratios import Anchor, Ratios, ratios_for_aspect
from ._retry import Clock, RetryPolicy, default_rand
from ._transport import AsyncDriver, SyncDriver

if TYPE_CHECKING:
    from kling_expand_api.models import ExpandImageRequest

D = TypeVar("D", SyncDriver, AsyncDriver)


@dataclass(frozen=True)
class RequestOptions:
    """Per-call overrides: a timeout, a retry count, extra headers."""

    timeout: float | httpx.Timeout | None = None
    max_retries: int | None = None
    extra_headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CreateArgs:
    """What a create request says besides the image (every field optional)."""

    up: float | None = None
    down: float | None = None
    left: float | None = None
    right: float | None = None
    ratios: Ratios | None = None
    aspect: str | None = None
    anchor: Anchor = "center"
    prompt: str | None = None
    n: int | None = None
    watermark: bool | None = None
    external_task_id: str | None = None
    callback_url: str | None = None

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> CreateArgs:
        """From keyword arguments (a batch item's); an unknown name is Python's TypeError."""
        return cls(**params)

    def sides(self) -> dict[str, float]:
        given = {"up": self.up, "down": self.down, "left": self.left, "right": self.right}
        return {side: value for side, value in given.items() if value is not None}


def choose_ratios(
    args: CreateArgs, size: tuple[int, int] | None, constraints: ExpandConstraints
) -> Ratios:
    """The ratios ``args`` ask for: the four sides, ``ratios=``, or ``aspect=`` for an
    image of ``size`` (None: its size is unknown, as for a URL)."""
    sides = args.sides()
    if sum([bool(sides), args.ratios is not None, args.aspect is not None]) > 1:
        raise TypeError("give the ratios one way: up/down/left/right, ratios= or aspect=")
    if args.ratios is not None:
        return args.ratios
    if args.aspect is not None:
        if size is None:
            raise InputValidationError(
                [("aspect", "needs the image's size: pass the image, not its URL")]
            )
        return ratios_for_aspect(size, args.aspect, anchor=args.anchor, constraints=constraints)
    return Ratios(**sides)


def _default_base_url(spec: Mapping[str, Any]) -> str:
    return str(spec["servers"][0]["url"]).rstrip("/")


def make_settings(
    http_client: httpx.Client | httpx.AsyncClient | None,
    *,
    default_clock: Callable[[], Clock],
    api_key: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    gateway: GatewayName | None = None,
    base_url: str | None = None,
    timeout: float | httpx.Timeout = 60.0,
    max_retries: int | None = None,
    retry_policy: RetryPolicy | None = None,
    poll_policy: PollPolicy | None = None,
    spec: Mapping[str, Any] | None = None,
    constraints: ExpandConstraints | None = None,
    external_id_lookup: LookupMode = "list",
    clock: Clock | None = None,
    rand: Callable[[], float] | None = None,
    new_external_id: Callable[[], str] | None = None,
    download_max_bytes: int | None = None,
) -> Settings:
    """A client's settings from its arguments (see ``ClientConfig``) and the environment."""
    resolved_spec = spec if spec is not None else load_resolved_spec()
    if external_id_lookup not in ("list", "path"):
        raise ConfigurationError("external_id_lookup must be 'list' or 'path'")
    clock = clock or default_clock()
    resolved_gateway = resolve_gateway(
        clock=clock,
        spec_base_url=_default_base_url(resolved_spec),
        gateway=gateway,
        api_key=api_key,
        access_key=access_key,
        secret_key=secret_key,
        base_url=base_url,
        own_base_url=str(http_client.base_url).rstrip("/") if http_client else "",
        authenticates_itself=http_client is not None and "Authorization" in http_client.headers,
    )
    retry = retry_policy or RetryPolicy()
    if retry_policy is None and max_retries is not None:
        retry = dataclasses.replace(retry, max_retries=max_retries)
    extra: dict[str, Any] = {}
    if new_external_id is not None:
        extra["new_external_id"] = new_external_id
    if download_max_bytes is not None:
        extra["download_max_bytes"] = download_max_bytes
    query = ListQuery.from_spec(resolved_spec)
    return Settings(
        gateway=resolved_gateway,
        timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        retry=retry,
        poll=poll_policy or PollPolicy(),
        clock=clock,
        rand=rand or default_rand,
        constraints=constraints or ExpandConstraints.from_spec(spec),
        lookup=external_id_lookup,
        page_size=query.page_size.default,
        max_page=query.page_num.maximum,
        **extra,
    )


def open_http(
    http_client: Any, transport: Any, settings: Settings, factory: type[Any]
) -> tuple[Any, bool]:
    """The httpx client to send through, and whether the SDK owns (and closes) it."""
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


class Engine(Generic[D]):
    """Settings and a driver: every operation of a client, as plans the driver runs."""

    settings: Settings
    driver: D

    def __init__(self, settings: Settings, driver: D) -> None:
        self.settings = settings
        self.driver = driver

    def with_call_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Engine[D]:
        """An engine on the same driver (and connection) with other call defaults."""
        settings = self.settings.with_call_options(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers
        )
        return Engine(settings, self.driver)

    def settings_for(self, options: RequestOptions | None) -> Settings:
        if options is None:
            return self.settings
        return self.settings.with_call_options(
            timeout=options.timeout,
            max_retries=options.max_retries,
            extra_headers=options.extra_headers,
        )

    def prepare(
        self, image: ImageInput, args: CreateArgs, options: RequestOptions | None = None
    ) -> tuple[ExpandImageRequest, PreparedImage, Ratios]:
        """The checked create request for ``image``; raises before any I/O."""
        settings = self.settings_for(options)
        constraints = settings.constraints
        prepared = prepare_image(image, constraints)
        size = None if prepared.info is None else (prepared.info.width, prepared.info.height)
        ratios = choose_ratios(args, size, constraints)
        body = build_create_request(
            prepared,
            ratios,
            constraints=constraints,
            external_task_id=args.external_task_id or settings.new_external_id(),
            prompt=args.prompt,
            n=args.n,
            watermark=args.watermark,
            callback_url=args.callback_url,
        )
        return body, prepared, ratios

    def submit_plan(
        self,
        image: ImageInput,
        args: CreateArgs,
        options: RequestOptions | None = None,
        *,
        may_exist: bool = False,
    ) -> tuple[Plan[Task], PreparedImage, Ratios]:
        """Prepare, check and plan a create request; raises before any I/O."""
        body, prepared, ratios = self.prepare(image, args, options)
        return create_task(self.settings_for(options), body, may_exist=may_exist), prepared, ratios

    def wait_plan(
        self,
        task_id: str,
        *,
        timeout: float | None = None,
        poll_interval: float | None = None,
        on_progress: Callable[[Task], object] | None = None,
        options: RequestOptions | None = None,
    ) -> Plan[Task]:
        return wait_for(
            self.settings_for(options),
            task_id,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
        )

    def lookup_plan(self, external_task_id: str, options: RequestOptions | None) -> Plan[Task]:
        settings = self.settings_for(options)
        task = yield from find_by_external_id(settings, external_task_id)
        if task is None:
            # Said as the service says a missing task, through the one mapping (and redaction).
            raise make_status_error(
                HTTPStatus.NOT_FOUND,
                {"message": f"no task with external_task_id {external_task_id!r}"},
                redact=settings.secrets,
            )
        return task

    def save_plan(
        self,
        task: Task,
        directory: str | os.PathLike[str],
        *,
        watermarked: bool = False,
        on_saved: Callable[[SavedImage], object] | None = None,
        skip_existing: bool = False,
    ) -> Plan[list[SavedImage]]:
        return save_images(
            self.settings,
            task,
            Path(directory),
            watermarked=watermarked,
            on_saved=on_saved,
            skip_existing=skip_existing,
        )

    def fetch_plan(self, image: ResultImage, *, watermarked: bool) -> Plan[tuple[bytes, str]]:
        return download_image(self.settings, image, watermarked=watermarked)


def batch_parts(engine: Engine[AsyncDriver]) -> BatchEngine:
    """What a batch runs on, lent explicitly from an async engine."""
    run = engine.driver.run

    async def submit(image: ImageInput, params: Mapping[str, Any], may_exist: bool) -> Task:
        args = {name: value for name, value in params.items() if name != "options"}
        options = params.get("options")
        plan, _, _ = engine.submit_plan(image, CreateArgs.of(args), options, may_exist=may_exist)
        return await run(plan)

    def get_by_external_id(external_task_id: str) -> Awaitable[Task]:
        return run(engine.lookup_plan(external_task_id, None))

    def wait(task_id: str, **options: Any) -> Awaitable[Task]:
        return run(engine.wait_plan(task_id, **options))

    def download(task: Task, directory: str | os.PathLike[str], **options: Any) -> Any:
        return run(engine.save_plan(task, directory, **options))

    return BatchEngine(
        base_url=engine.settings.base_url,
        constraints=engine.settings.constraints,
        get_by_external_id=get_by_external_id,
        wait=wait,
        download=download,
        submit=submit,
        new_external_id=engine.settings.new_external_id,
        account=engine.settings.gateway.account,
    )
