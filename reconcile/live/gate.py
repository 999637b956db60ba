"""A gate that admits page requests by priority instead of first come, first served.

Users and groups are listed at the same time. With a plain semaphore the pages queue in
the order they were asked for: all 99 remaining user pages, then the 9 group pages, which
are the heaviest (100,000 members each) and so finish last, one after another. The gate
admits the page that is furthest behind in its own listing first (priority = position /
total), which interleaves the listings and spreads the heavy pages over the whole read.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class PriorityGate:
    """At most `slots` holders at a time; waiters are admitted lowest priority first
    (ties in arrival order)."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self._free = slots
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._arrival = itertools.count()

    @asynccontextmanager
    async def slot(self, priority: float) -> AsyncIterator[None]:
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            admitted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (priority, next(self._arrival), admitted))
            try:
                await admitted
            except asyncio.CancelledError:
                if admitted.done() and not admitted.cancelled():
                    self._release()  # admitted just as it was cancelled: pass the slot on
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            _, _, admitted = heapq.heappop(self._waiting)
            if not admitted.done():  # a cancelled waiter is skipped
                admitted.set_result(None)
                return
        self._free += 1
