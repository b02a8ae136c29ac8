import asyncio
import os
from collections.abc import Callable
from typing import Any

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
    """Call a method on a fresh sync or async client: ``live_call("get", task_id, **config)``."""

    def call(method: str, *args: Any, **overrides: Any) -> Any:
        config = {**live_config, **overrides}
        if request.param == "sync":
            with KlingExpand(**config) as client:
                return getattr(client, method)(*args)

        async def run() -> Any:
            async with AsyncKlingExpand(**config) as client:
                return await getattr(client, method)(*args)

        return asyncio.run(run())

    return call
