"""Settings shared by every test folder.

Hypothesis profiles are registered here once and chosen by ``HYPOTHESIS_PROFILE``:
``dev`` (the default, quick), ``ci`` (the default when ``CI`` is set) and
``thorough`` (for a long run by hand). Tests never set ``max_examples`` themselves.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


class FakeClock:
    """The SDK's clock for tests: time passes only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def clock() -> FakeClock:
    """A fresh :class:`FakeClock`; every wait the code makes is in ``clock.sleeps``."""
    return FakeClock()
