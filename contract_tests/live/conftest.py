import asyncio
import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kling_expand import AsyncKlingExpand, KlingExpand

# The SDK itself reads the base URL from KLING_BASE_URL (default: the spec's server).
KEY_ENV, PAID_ENV = "COMETAPI_KEY", "COMETAPI_LIVE_PAID"


@pytest.fixture(scope="session")
def live_config() -> dict[str, Any]:
    """How to reach the real service; skips every live test when no key is set."""
    key = os.environ.get(KEY_ENV)
    if not key:
        pytest.skip(f"{KEY_ENV} is not set: live contract tests send nothing")
    return {"api_key": key, "max_retries": 1, "timeout": 60.0}


@pytest.fixture
def paid_allowed() -> None:
    if os.environ.get(PAID_ENV) != "1":
        pytest.skip(f"a paid expansion runs only with {PAID_ENV}=1")


@pytest.fixture(params=["sync", "async"])
def live_call(request, live_config) -> Callable[..., Any]:
    """Call a method on a fresh sync or async client: ``live_call("get", task_id, **config)``.

    ``sent=[]`` collects every request the client sends, as ``(method, path)``.
    """

    def call(method: str, *args: Any, sent: list | None = None, **overrides: Any) -> Any:
        config = {**live_config, **overrides}

        def note(http_request: httpx.Request) -> None:
            if sent is not None:
                sent.append((http_request.method, http_request.url.path))

        if request.param == "sync":
            hooks = {"request": [note]}
            with (
                httpx.Client(event_hooks=hooks) as http,
                KlingExpand(**config, http_client=http) as client,
            ):
                return getattr(client, method)(*args)

        async def anote(http_request: httpx.Request) -> None:
            note(http_request)

        async def run() -> Any:
            hooks = {"request": [anote]}
            async with (
                httpx.AsyncClient(event_hooks=hooks) as http,
                AsyncKlingExpand(**config, http_client=http) as client,
            ):
                return await getattr(client, method)(*args)

        return asyncio.run(run())

    return call
