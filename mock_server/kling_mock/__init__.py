"""An offline mock of the Kling image-expansion service, driven by the resolved spec.

>>> from kling_mock import MockKling
>>> MockKling().config.api_keys["kling-mock-dev-key"]
'dev'

Names are imported on first use, so importing the package (as its pytest plugin does
in every run) costs nothing until a test asks for the mock.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from ._admin import ADMIN_PREFIX
    from ._app import create_app, error_response
    from ._callbacks import Delivery
    from ._clock import MockClock
    from ._config import DEFAULT_DEV_ACCESS_KEY, DEFAULT_DEV_KEY, DEFAULT_DEV_SECRET_KEY, MockConfig
    from ._errors import BodyTooLarge, MockError, RequestRefused, TaskNotFound, Unauthenticated
    from ._faults import SCENARIO_HEADER, SCENARIOS
    from ._journal import JournalEntry
    from ._mock import MockKling
    from ._server import ServerThread
    from ._service import MockService

_HOMES = {
    "ADMIN_PREFIX": "_admin",
    "DEFAULT_DEV_ACCESS_KEY": "_config",
    "DEFAULT_DEV_SECRET_KEY": "_config",
    "DEFAULT_DEV_KEY": "_config",
    "SCENARIOS": "_faults",
    "SCENARIO_HEADER": "_faults",
    "BodyTooLarge": "_errors",
    "Delivery": "_callbacks",
    "JournalEntry": "_journal",
    "MockClock": "_clock",
    "MockConfig": "_config",
    "MockError": "_errors",
    "MockKling": "_mock",
    "MockService": "_service",
    "RequestRefused": "_errors",
    "ServerThread": "_server",
    "TaskNotFound": "_errors",
    "Unauthenticated": "_errors",
    "create_app": "_app",
    "error_response": "_app",
}

__all__ = [
    "ADMIN_PREFIX",
    "DEFAULT_DEV_ACCESS_KEY",
    "DEFAULT_DEV_KEY",
    "DEFAULT_DEV_SECRET_KEY",
    "SCENARIOS",
    "SCENARIO_HEADER",
    "BodyTooLarge",
    "Delivery",
    "JournalEntry",
    "MockClock",
    "MockConfig",
    "MockError",
    "MockKling",
    "MockService",
    "RequestRefused",
    "ServerThread",
    "TaskNotFound",
    "Unauthenticated",
    "create_app",
    "error_response",
]


def __getattr__(name: str) -> _typing.Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
