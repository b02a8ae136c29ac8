"""Faults on demand: by configured rates, by a request header, or queued through the admin API."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from kling_spec import MALFORMED_REQUEST, Violation

from ._errors import MockError, RequestRefused

SCENARIO_HEADER = "X-Mock-Scenario"


@dataclass(frozen=True)
class _Refusal:
    status: int
    code: int | str
    message: str
    retry_after: bool = False
    gateway: bool = False


# Scenarios answered with an error before the request is handled. Kling's envelope
# unless marked gateway (CometAPI's own {"error": {...}} body).
_REFUSALS: dict[str, _Refusal] = {
    "rate_limited": _Refusal(429, 1302, "rate limit exceeded (1302); retry later", True),
    "concurrency_limited": _Refusal(
        429, 1303, "parallel task limit of the resource package exceeded (1303)", True
    ),
    "server_error": _Refusal(500, 5000, "internal server error (5000); retry with backoff"),
    "unavailable": _Refusal(503, 5001, "service under maintenance (5001); retry later", True),
    "timeout": _Refusal(504, 5002, "internal server timeout (5002); retry with backoff"),
    "gateway_rate_limited": _Refusal(
        429, "rate_limit_exceeded", "CometAPI rate limit reached for this key", True, True
    ),
    "gateway_error": _Refusal(500, "internal_error", "CometAPI upstream error", gateway=True),
    "gateway_unavailable": _Refusal(
        503, "service_unavailable", "CometAPI upstream unavailable", True, True
    ),
    "gateway_timeout": _Refusal(524, "timeout", "CometAPI upstream timed out", gateway=True),
}
#: a create request is refused by content policy (400/1301) after passing validation.
POLICY_BLOCK = "policy_block"
#: the task is accepted and later ends ``failed`` with a ``task_status_msg``.
TASK_FAILS = "task_fails"
#: the request is answered normally after ``MockConfig.slow_seconds`` of latency.
SLOW = "slow"
SCENARIOS = tuple(sorted([*_REFUSALS, POLICY_BLOCK, TASK_FAILS, SLOW]))


def refusal_for(scenario: str, retry_after_seconds: int) -> MockError | None:
    """The error a scenario answers with, or None for those that do not refuse up front."""
    refusal = _REFUSALS.get(scenario)
    if refusal is None:
        return None
    headers = {"Retry-After": str(retry_after_seconds)} if refusal.retry_after else None
    return MockError(
        refusal.status,
        refusal.code,
        refusal.message,
        headers=headers,
        style="gateway" if refusal.gateway else "kling",
    )


def unknown_scenario(name: str) -> RequestRefused:
    return RequestRefused(
        [
            Violation(
                SCENARIO_HEADER,
                f"{SCENARIO_HEADER} {name!r} is not one of: {', '.join(SCENARIOS)}",
                MALFORMED_REQUEST,
            )
        ]
    )


class FaultPlan:
    """Which scenario applies to the next API request.

    A request's header wins; then scenarios queued by the admin API, in order;
    then a draw against the configured rates (seeded, so a run repeats).
    """

    def __init__(self, rates: Mapping[str, float], seed: int) -> None:
        self._check(rates)
        self._default_rates = dict(rates)
        self._rates = dict(rates)
        self._seed = seed
        self._random = random.Random(seed)
        self._queued: deque[str] = deque()
        self._lock = threading.Lock()

    @staticmethod
    def _check(rates: Mapping[str, float]) -> None:
        for name, rate in rates.items():
            if name not in SCENARIOS:
                raise ValueError(f"unknown fault scenario {name!r}; known: {', '.join(SCENARIOS)}")
            if not 0 <= rate <= 1:
                raise ValueError(f"the rate of {name} must be within [0, 1], not {rate}")

    @property
    def rates(self) -> dict[str, float]:
        return dict(self._rates)

    @property
    def queued(self) -> list[str]:
        return list(self._queued)

    def set_rates(self, rates: Mapping[str, float]) -> None:
        self._check(rates)
        with self._lock:
            self._rates = dict(rates)

    def queue(self, scenario: str, times: int = 1) -> None:
        self._check({scenario: 0})
        with self._lock:
            self._queued.extend([scenario] * times)

    def reset(self) -> None:
        with self._lock:
            self._rates = dict(self._default_rates)
            self._queued.clear()
            self._random = random.Random(self._seed)

    def choose(self, header: str | None) -> str | None:
        if header:
            name = header.strip().lower()
            if name not in SCENARIOS:
                raise unknown_scenario(name)
            return name
        if not self._queued and not self._rates:
            return None  # the usual case, decided without the lock
        with self._lock:
            if self._queued:
                return self._queued.popleft()
            for name, rate in self._rates.items():
                if rate and self._random.random() < rate:
                    return name
        return None
