"""PriorityGate: at most `slots` holders; waiters admitted lowest priority first; a
cancelled waiter never takes (or loses) a slot."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

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


# --- quiet(): parsing waits while a request is busy on the wire ------------------------


async def _returns_soon(awaitable: Awaitable[None], seconds: float = 0.05) -> bool:
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return bool(done)


def test_quiet_waits_for_an_admitted_holder_until_it_waits_for_its_answer() -> None:
    async def main() -> list[bool]:
        gate = PriorityGate(2)
        sent, answered = asyncio.Event(), asyncio.Event()
        seen = []

        async def holder() -> None:
            async with gate.slot(0.0) as slot:
                await sent.wait()
                slot.waiting()  # the request is on the wire: parsing may run
                await answered.wait()
                slot.busy()  # its answer is coming in: parsing would delay it

        task = asyncio.create_task(holder())
        await asyncio.sleep(0)
        seen.append(await _returns_soon(gate.quiet()))  # admitted, not yet sent
        sent.set()
        seen.append(await _returns_soon(gate.quiet()))  # waiting for its answer
        answered.set()
        await asyncio.sleep(0)
        await task
        seen.append(await _returns_soon(gate.quiet()))  # gone
        return seen

    assert asyncio.run(main()) == [False, True, True]


def test_quiet_counts_a_waiter_admitted_but_not_yet_running_as_busy() -> None:
    async def main() -> tuple[bool, bool]:
        gate = PriorityGate(1)
        release, sent = asyncio.Event(), asyncio.Event()

        async def first() -> None:
            async with gate.slot(0.0) as slot:
                slot.waiting()
                await release.wait()

        async def second() -> None:
            async with gate.slot(0.5) as slot:
                await sent.wait()
                slot.waiting()

        a = asyncio.create_task(first())
        await asyncio.sleep(0)
        b = asyncio.create_task(second())
        await asyncio.sleep(0)
        release.set()
        await a  # hands its slot to `second`, which has not run yet
        still_to_send = await _returns_soon(gate.quiet())
        sent.set()
        await b
        return still_to_send, await _returns_soon(gate.quiet())

    assert asyncio.run(main()) == (False, True)


def test_a_cancelled_holder_leaves_the_gate_quiet() -> None:
    async def main() -> bool:
        gate = PriorityGate(1)

        async def stuck() -> None:
            async with gate.slot(0.0):
                await asyncio.sleep(3600)  # busy (never sent) until cancelled

        task = asyncio.create_task(stuck())
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return await _returns_soon(gate.quiet())

    assert asyncio.run(main())
