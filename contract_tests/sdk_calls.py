"""Calling the SDK the same way whether the client is sync or async.

Tests that hold for both clients take the ``sdk`` fixture (parametrised
``sync``/``async``) and call ``sdk.call("submit", image, up=0.1)``: each call
opens a fresh client (inside its own event loop for the async one) and closes
it, so no client outlives the loop it was made in.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from kling_expand import AsyncKlingExpand, KlingExpand
from kling_spec import CREATE_PATH

from .gateways import COMETAPI, gateway_path

SYNC, ASYNC = "sync", "async"


@dataclass
class SdkCaller:
    """One way to reach the SDK: ``kind`` is ``sync`` or ``async``; ``config`` its settings
    (the keys in it choose the ``gateway``, which names the paths it calls)."""

    kind: str
    config: dict[str, Any]
    sync_http: Callable[[], httpx.Client] | None = field(default=None, repr=False)
    async_http: Callable[[], httpx.AsyncClient] | None = field(default=None, repr=False)
    gateway: str = COMETAPI

    @property
    def create_path(self) -> str:
        """The create (and list) path on this caller's gateway."""
        return gateway_path(CREATE_PATH, self.gateway)

    def authenticated(self, authorization: str | None) -> bool:
        """Whether ``authorization`` is what this caller's keys say: CometAPI's key as
        sent, or a valid HS256 JWT of Kling's access key signed with its secret key."""
        if self.gateway == COMETAPI:
            return authorization == f"Bearer {self.config['api_key']}"
        token = (authorization or "").removeprefix("Bearer ")
        claims = jwt.decode(
            token,
            self.config["secret_key"],
            algorithms=["HS256"],
            options={"require": ["iss", "exp", "nbf"], "verify_exp": False, "verify_nbf": False},
        )
        return bool(claims["iss"] == self.config["access_key"])

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``client.<method>(*args, **kwargs)`` on a fresh client of this kind, awaited if async."""
        if self.kind == SYNC:
            with contextlib.ExitStack() as stack:
                extra: dict[str, Any] = {}
                if self.sync_http is not None:
                    extra["http_client"] = stack.enter_context(self.sync_http())
                client = stack.enter_context(KlingExpand(**self.config, **extra))
                return getattr(client, method)(*args, **kwargs)
        return asyncio.run(self._call_async(method, *args, **kwargs))

    async def _call_async(self, method: str, *args: Any, **kwargs: Any) -> Any:
        async with contextlib.AsyncExitStack() as stack:
            extra: dict[str, Any] = {}
            if self.async_http is not None:
                extra["http_client"] = await stack.enter_async_context(self.async_http())
            client = await stack.enter_async_context(AsyncKlingExpand(**self.config, **extra))
            result = getattr(client, method)(*args, **kwargs)
            # Calls that do no I/O (``check``) are plain methods on the async client too.
            return await result if inspect.isawaitable(result) else result


def side_fields(bounds: Any) -> dict[str, str]:
    """The SDK's ratio arguments (``up``, ``down``, ``left``, ``right``) and the spec's field
    each one fills, from a :class:`~contract_tests.oracle.SpecBounds`."""
    (up, down), (left, right) = bounds.vertical, bounds.horizontal
    return {"up": up, "down": down, "left": left, "right": right}


def sdk_sides(fields: Any, bounds: Any) -> dict[str, Any]:
    """The SDK's ratio arguments for a request's fields (every ratio field present)."""
    return {side: fields[name] for side, name in side_fields(bounds).items()}
