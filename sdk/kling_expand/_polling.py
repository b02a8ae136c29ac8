"""Waiting for a task: a poll schedule with growing gaps and a real deadline.

The schedule is a plan (see ``_core.py``), so the blocking and the async client
poll exactly alike; every wait goes through the client's clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ._core import Plan, Settings, Sleep, get_task
from ._exceptions import InputValidationError, KlingError, TaskFailedError, WaitTimeoutError
from ._models import Task
from ._retry import PollPolicy, should_retry

__all__ = ["PollPolicy", "check_wait", "wait_for"]


def check_wait(timeout: float | None, poll_interval: float | None) -> None:
    """Raise :class:`InputValidationError` for a wait that cannot be honoured.

    Called before anything is sent (``expand`` and batches check before the paid
    create): ``timeout`` must be at least 0 (infinity waits for good) and
    ``poll_interval`` a finite number above 0; None takes the policy's.

    >>> try:
    ...     check_wait(600, 0)
    ... except InputValidationError as error:
    ...     print(error.field)
    poll_interval
    """
    problems = []
    if timeout is not None and not _is_number(timeout, lambda v: v >= 0):
        problems.append(
            ("timeout", f"timeout must be a number of seconds of at least 0, got {timeout!r}")
        )
    if poll_interval is not None and not _is_number(poll_interval, lambda v: 0 < v < math.inf):
        problems.append(
            (
                "poll_interval",
                f"poll_interval must be a finite number of seconds above 0, got {poll_interval!r}",
            )
        )
    if problems:
        raise InputValidationError(problems)


def _is_number(value: object, ok: Callable[[float], bool]) -> bool:
    """Whether ``value`` is a real number (not a bool, not NaN) that ``ok`` accepts."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not math.isnan(value) and ok(value)


def wait_for(
    settings: Settings,
    task_id: str,
    *,
    timeout: float | None = None,
    poll_interval: float | None = None,
    on_progress: Callable[[Task], object] | None = None,
) -> Plan[Task]:
    """The plan that polls ``task_id``; its arguments are checked now, before any poll.

    See :func:`_poll`.
    """
    check_wait(timeout, poll_interval)
    return _poll(
        settings, task_id, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress
    )


def _poll(
    settings: Settings,
    task_id: str,
    *,
    timeout: float | None,
    poll_interval: float | None,
    on_progress: Callable[[Task], object] | None,
) -> Plan[Task]:
    """Poll ``task_id`` until it succeeds (returned), fails or the deadline passes (raised).

    The first poll is immediate; the gaps grow by the policy's multiplier and never
    overshoot the deadline. Each poll may take only the time left (its request
    timeout is cut to it), and so may a retry's wait: when the deadline passes,
    :class:`WaitTimeoutError` is raised, chained to the outage that used up the
    time, if any. A status the spec does not know counts as running.
    """
    policy = settings.poll
    limit = policy.timeout if timeout is None else timeout
    interval = policy.interval if poll_interval is None else poll_interval
    clock = settings.clock
    deadline = clock.monotonic() + limit
    last_status: str | None = None
    while True:
        try:
            task = yield from get_task(settings, task_id, deadline)
        except KlingError as error:
            if should_retry(error) and clock.monotonic() >= deadline:
                raise WaitTimeoutError(task_id, limit, last_status) from error
            raise
        last_status = task.status_text
        if on_progress is not None:
            on_progress(task)
        if task.succeeded:
            return task
        if task.failed:
            raise TaskFailedError(
                task.id, task.status_message, status_code=200, request_id=task.request_id
            )
        remaining = deadline - clock.monotonic()
        if remaining > 0:
            yield Sleep(min(interval, remaining))
        if clock.monotonic() >= deadline:  # no time left for another poll
            raise WaitTimeoutError(task_id, limit, last_status)
        interval = min(max(policy.max_interval, interval), interval * policy.multiplier)
