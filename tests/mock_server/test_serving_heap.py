"""Served as its own process, the mock keeps the collector's full passes short."""

import gc
from collections.abc import Iterator

import httpx
import pytest

from kling_mock import MockConfig, ServerThread, create_app
from kling_mock._cli import _parser, config_from_args


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Start and end with nothing frozen: freezing is process-wide."""
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("freeze", [True, False], ids=["own-process", "shared-process"])
def test_start_up_objects_are_frozen_only_when_the_config_asks(unfrozen, freeze: bool) -> None:
    # Given an app whose config does or does not ask to freeze the start-up heap
    app = create_app(MockConfig(freeze_startup_heap=freeze))

    # When it is served (its lifespan runs) and answers a request
    with ServerThread(app) as server:
        assert httpx.get(f"{server.base_url}/openapi.json").status_code == 200
        frozen = gc.get_freeze_count()

    # Then start-up objects left the collector's generations only when asked
    assert (frozen > 0) is freeze


def test_the_command_line_serves_with_the_start_up_heap_frozen() -> None:
    assert config_from_args(_parser().parse_args(["serve"])).freeze_startup_heap is True
