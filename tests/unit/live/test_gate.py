"""PriorityGate: at most `slots` holders; waiters admitted lowest priority first; a
cancelled waiter never takes (or loses) a slot."""

from __future__ import annotations

import asyncio

import pytest

from reconcile.live.gate import PriorityGate


def test_waiters_are_admitted_by_priority_then_arrival() -> None:
    async def main() -> list[str]:
        gate = PriorityGate(1)
        order: list[str] = []
        release = asyncio.Event()

        async def holder() -> None:
            async with gate.slot(0.0):
                await release.wait()

        async def waiter(name: str, priority: float) -> None:
            async with gate.slot(priority):
                order.append(name)

        first = asyncio.create_task(holder())
        await asyncio.sleep(0)
        waiters = [
            asyncio.create_task(waiter(name, priority))
            for name, priority in [("late", 0.9), ("early", 0.1), ("mid-a", 0.5), ("mid-b", 0.5)]
        ]
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(first, *waiters)
        return order

    assert asyncio.run(main()) == ["early", "mid-a", "mid-b", "late"]


def test_no_more_than_the_slots_are_held_at_once() -> None:
    async def main() -> int:
        gate = PriorityGate(3)
        held = peak = 0

        async def work(i: int) -> None:
            nonlocal held, peak
            async with gate.slot(i / 20):
                held += 1
                peak = max(peak, held)
                await asyncio.sleep(0.001)
                held -= 1

        await asyncio.gather(*(work(i) for i in range(20)))
        return peak

    assert asyncio.run(main()) == 3


def test_a_cancelled_waiter_does_not_keep_a_slot() -> None:
    async def main() -> bool:
        gate = PriorityGate(1)
        release = asyncio.Event()

        async def holder() -> None:
            async with gate.slot(0.0):
                await release.wait()

        async def waiter() -> None:
            async with gate.slot(0.5):
                pass

        first = asyncio.create_task(holder())
        await asyncio.sleep(0)
        doomed = asyncio.create_task(waiter())
        await asyncio.sleep(0)
        doomed.cancel()
        release.set()
        await first
        with pytest.raises(asyncio.CancelledError):
            await doomed
        # The slot is free again: a new holder gets in at once.
        async with asyncio.timeout(1):
            async with gate.slot(1.0):
                return True

    assert asyncio.run(main())


def test_slots_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="slots"):
        PriorityGate(0)
