"""An offline mock of the Kling image-expansion service, driven by the resolved spec.

>>> from kling_mock import MockKling
>>> MockKling().config.api_keys["kling-mock-dev-key"]
'dev'
"""

from ._admin import ADMIN_PREFIX
from ._app import create_app, error_response
from ._callbacks import Delivery
from ._clock import MockClock
from ._config import DEFAULT_DEV_KEY, MockConfig
from ._errors import BodyTooLarge, MockError, RequestRefused, TaskNotFound, Unauthenticated
from ._faults import SCENARIO_HEADER, SCENARIOS
from ._journal import JournalEntry
from ._mock import MockKling
from ._server import ServerThread
from ._service import MockService

__all__ = [
    "ADMIN_PREFIX",
    "DEFAULT_DEV_KEY",
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
