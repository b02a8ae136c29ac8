"""Faults on demand: by configured rates, by a request header, or queued through the admin API."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
#: scenarios that only a create can act on: any other request leaves them queued.
CREATE_ONLY = frozenset({POLICY_BLOCK, TASK_FAILS})
#: the most separate queue() calls kept at once (each holds a scenario and a count).
MAX_QUEUED_RUNS = 1000


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

    def __init__(self, rates: Mapping[str, float], seed: int | None) -> None:
        self._check(rates)
        self._default_rates = dict(rates)
        self._rates = dict(rates)
        self._seed = seed
        self._random = random.Random(seed)
        # Runs of [scenario, requests left]: a count, never one entry per request,
        # so queueing a fault a billion times costs what queueing it once does.
        self._queued: deque[list[Any]] = deque()
        self._lock = threading.Lock()

    @staticmethod
    def _check(rates: Mapping[str, float]) -> None:
        for name, rate in rates.items():
            if name not in SCENARIOS:
                raise ValueError(f"unknown fault scenario {name!r}; known: {', '.join(SCENARIOS)}")
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise ValueError(f"the rate of {name} must be a number within [0, 1], not {rate!r}")

    @property
    def rates(self) -> dict[str, float]:
        return dict(self._rates)

    @property
    def queued(self) -> list[dict[str, Any]]:
        """The queued runs in order, each ``{"scenario": name, "times": requests left}``."""
        with self._lock:
            return [{"scenario": name, "times": left} for name, left in self._queued]

    def set_rates(self, rates: Mapping[str, float]) -> None:
        self._check(rates)
        with self._lock:
            self._rates = dict(rates)

    def queue(self, scenario: str, times: int = 1) -> None:
        """Apply ``scenario`` to the next ``times`` requests it can act on."""
        self._check({scenario: 0})
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times is {times!r}; it must be an integer >= 1")
        with self._lock:
            if len(self._queued) >= MAX_QUEUED_RUNS:
                raise ValueError(
                    f"{len(self._queued)} fault runs are queued already, the most "
                    f"MAX_QUEUED_RUNS {MAX_QUEUED_RUNS} allows; reset the faults first"
                )
            self._queued.append([scenario, times])

    def reset(self) -> None:
        with self._lock:
            self._rates = dict(self._default_rates)
            self._queued.clear()
            self._random = random.Random(self._seed)

    def choose(self, header: str | None, *, creating: bool = False) -> str | None:
        """The scenario for this request. Create-only scenarios (:data:`CREATE_ONLY`) are
        taken only by a create: another request leaves them queued and never draws them."""
        if header:
            name = header.strip().lower()
            if name not in SCENARIOS:
                raise unknown_scenario(name)
            return name
        if not self._queued and not self._rates:
            return None  # the usual case, decided without the lock
        with self._lock:
            for run in self._queued:
                name = run[0]
                if creating or name not in CREATE_ONLY:
                    run[1] -= 1
                    if run[1] == 0:
                        self._queued.remove(run)
                    return str(name)
            for name, rate in self._rates.items():
                if rate and (creating or name not in CREATE_ONLY):
                    if self._random.random() < rate:
                        return name
        return None
