from collections.abc import Callable, Iterator
from typing import Any

import pytest
import respx

from ..gateways import GATEWAYS, credentials
from ..images import ImageSpec
from ..sdk_calls import ASYNC, SYNC, SdkCaller

MAX_RETRIES = 2
TASK_ID = "829491712786825227"
# A reserved name (RFC 2606): respx answers for it; nothing resolves it.
SERVICE_URL = "https://kling.test"


@pytest.fixture
def service() -> Iterator[respx.MockRouter]:
    """The service as respx plays it; a request to any route not set up fails the test."""
    with respx.mock(base_url=SERVICE_URL, assert_all_called=False) as router:
        yield router


ACCESS_KEY = "ak-contract-test-0001"
SECRET_KEY = "sk-contract-test-secret-0001-of-32-bytes"


@pytest.fixture(
    params=[(kind, gateway) for gateway in GATEWAYS for kind in (SYNC, ASYNC)],
    ids=lambda param: "-".join(param),
)
def sdk(request, clock) -> SdkCaller:
    """The SDK, sync then async, on CometAPI's gateway then Kling's, pointed at the respx
    service, retrying on the recording clock."""
    kind, gateway = request.param
    keys = credentials(
        gateway, api_key="sk-contract-test-0001", access_key=ACCESS_KEY, secret_key=SECRET_KEY
    )
    config: dict[str, Any] = {
        **keys,
        "base_url": SERVICE_URL,
        "max_retries": MAX_RETRIES,
        "clock": clock,
        "rand": lambda: 0.0,
    }
    return SdkCaller(kind, config, gateway=gateway)


@pytest.fixture
def task_record() -> Callable[..., dict[str, Any]]:
    """A task record as Kling sends it (a running task), with any field overridden."""

    def make(**overrides: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "task_id": TASK_ID,
            "task_status": "submitted",
            "task_status_msg": "",
            "task_info": {},
            "task_result": {},
            "created_at": 1_732_441_200_000,
            "updated_at": 1_732_441_200_000,
        }
        return record | overrides

    return make


@pytest.fixture
def envelope(task_record) -> Callable[..., dict[str, Any]]:
    def make(**record: Any) -> dict[str, Any]:
        return {
            "code": 0,
            "message": "SUCCEED",
            "request_id": "req-ok",
            "data": task_record(**record),
        }

    return make


@pytest.fixture(scope="session")
def small_png(published_bounds) -> bytes:
    """The smallest image the spec accepts, as PNG bytes."""
    side = published_bounds.min_side
    return ImageSpec("png", side, side).encoded()
