"""Helpers for talking to the mock in process: its journal, its clock, no fetching."""

from __future__ import annotations

import httpx

from kling_mock import MockKling

# Any host will do: the in-process transports never resolve it.
IN_PROCESS_URL = "http://kling-mock.test"


class MockDrivenClock:
    """The SDK's clock, moved by the mock's: waiting advances the mock instead of sleeping."""

    def __init__(self, mock: MockKling) -> None:
        self.mock = mock
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.mock.clock.now()

    def now(self) -> float:
        """Unix seconds on the mock's clock, which the SDK times Kling's tokens on."""
        return self.mock.clock.now()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.mock.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await self.mock.advance_async(seconds)


def never_fetch(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the mock tried to fetch {request.url} during a contract test")


def last_seq(mock: MockKling) -> int:
    """The number of API requests the mock has received (its journal is bounded, not this)."""
    journal = mock.journal
    return journal[-1].seq if journal else 0
