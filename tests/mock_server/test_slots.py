"""Slots: bounded holders, waiters that cost no CPU and leave the queue when they go."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from kling_mock._slots import Slots


@pytest.mark.asyncio
async def test_waiters_are_served_in_turn_and_never_exceed_the_count() -> None:
    slots, inside, peak = Slots(2), 0, 0

    async def hold() -> None:
        nonlocal inside, peak
        async with slots.hold():
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(hold() for _ in range(50)))

    assert peak == 2 and slots.free == 2 and slots.waiting == 0


@pytest.mark.asyncio
async def test_many_waiters_burn_no_cpu_while_the_slot_is_held() -> None:
    # Given one slot, held
    slots = Slots(1)
    assert slots.try_take()
    # When 500 requests wait for it for a while
    waiters = [asyncio.create_task(_hold_once(slots)) for _ in range(500)]
    await asyncio.sleep(0.05)
    cpu_before = time.process_time()
    await asyncio.sleep(0.3)
    cpu_spent = time.process_time() - cpu_before
    # Then waiting cost (next to) no CPU: a 5 ms poll loop costs about the whole 0.3 s
    assert slots.waiting == 500
    assert cpu_spent < 0.05
    slots.give_back()
    await asyncio.gather(*waiters)
    assert slots.free == 1


async def _hold_once(slots: Slots) -> None:
    async with slots.hold():
        pass


@pytest.mark.asyncio
async def test_a_waiter_that_goes_away_takes_no_slot() -> None:
    slots = Slots(1)
    assert slots.try_take()
    gone = asyncio.create_task(_hold_once(slots))
    await asyncio.sleep(0.01)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone

    assert slots.waiting == 0
    slots.give_back()
    assert slots.free == 1


@pytest.mark.asyncio
async def test_a_slot_handed_to_a_waiter_as_it_is_cancelled_is_passed_on() -> None:
    slots = Slots(1)
    assert slots.try_take()
    first = asyncio.create_task(_hold_once(slots))
    second = asyncio.create_task(_hold_once(slots))
    await asyncio.sleep(0.01)
    slots.give_back()  # handed to `first`, which is cancelled before it runs
    first.cancel()
    await asyncio.wait_for(second, 1)

    assert slots.free == 1 and slots.waiting == 0


def test_a_holder_on_one_event_loop_wakes_a_waiter_on_another() -> None:
    slots = Slots(1)
    assert slots.try_take()
    done = threading.Event()

    def other_loop() -> None:
        asyncio.run(_hold_once(slots))
        done.set()

    thread = threading.Thread(target=other_loop)
    thread.start()
    time.sleep(0.05)
    assert not done.is_set()
    slots.give_back()
    thread.join(2)

    assert done.is_set() and slots.free == 1


def test_a_count_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Slots(0)
