"""A gate that admits page requests by priority, and tells parsing when the wire is quiet.

Users and groups are listed at the same time. With a plain semaphore the pages queue in
the order they were asked for: all 99 remaining user pages, then the 9 group pages, which
are the heaviest (100,000 members each) and so finish last, one after another. The gate
admits the page that is furthest behind in its own listing first (priority = position /
total), which interleaves the listings and spreads the heavy pages over the whole read.

The read is bound by latency, so the client's CPU should go to parsing only while every
request in flight is waiting for its answer. Answers of concurrent pages arrive close
together: parsed one after the other as they came, the last of a bunch was read, and its
slot's next page requested, only after the others were parsed (about 0.1 s a round at
100k users). So each holder reports its request's progress on the wire (`Slot.busy` /
`Slot.waiting`, from the HTTP client's trace events), and `quiet()` returns only when no
holder is connecting, sending or receiving and no admitted page is yet to start.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

# Loop turns that `quiet()` yields before it looks: an answer that has reached the socket
# needs about two turns (the selector's callback, then its reader's task) to show as busy.
_IO_TURNS = 3


class Slot:
    """One holder's place in the gate; busy until its request waits for an answer."""

    __slots__ = ("_busy", "_gate")

    def __init__(self, gate: PriorityGate) -> None:
        self._gate = gate
        self._busy = True  # admitted (and counted busy by the gate): still to send

    def busy(self) -> None:
        """Connecting, sending or receiving: parsing would delay it."""
        if not self._busy:
            self._busy = True
            self._gate._busy += 1

    def waiting(self) -> None:
        """Sent, now waiting for the answer (or between attempts): parsing may run."""
        if self._busy:
            self._busy = False
            self._gate._became_idle()


class PriorityGate:
    """At most `slots` holders at a time; waiters are admitted lowest priority first
    (ties in arrival order)."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.slots = slots
        self._free = slots
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._arrival = itertools.count()
        self._busy = 0  # holders connecting, sending or receiving (see Slot)
        self._quiet: asyncio.Event | None = None

    @property
    def busy(self) -> int:
        """Holders connecting, sending or receiving, or admitted and yet to start."""
        return self._busy

    @asynccontextmanager
    async def slot(self, priority: float) -> AsyncIterator[Slot]:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            self._busy += 1
        else:
            admitted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (priority, next(self._arrival), admitted))
            try:
                await admitted
            except asyncio.CancelledError:
                if admitted.done() and not admitted.cancelled():
                    # Admitted just as it was cancelled: pass the slot on.
                    self._release()
                    self._became_idle()
                raise
        held = Slot(self)
        try:
            yield held
        finally:
            self._release()  # the next holder counts as busy before this one stops
            held.waiting()

    async def quiet(self) -> None:
        """Return once no holder is busy on the wire (an admitted holder that has not yet
        sent counts as busy)."""
        while True:
            for _ in range(_IO_TURNS):
                await asyncio.sleep(0)
            if self._busy == 0:
                return
            if self._quiet is None:
                self._quiet = asyncio.Event()
            await self._quiet.wait()

    def _became_idle(self) -> None:
        self._busy -= 1
        if self._busy == 0 and self._quiet is not None:
            self._quiet.set()
            self._quiet = None

    def _release(self) -> None:
        while self._waiting:
            _, _, admitted = heapq.heappop(self._waiting)
            if not admitted.done():  # a cancelled waiter is skipped
                admitted.set_result(None)
                self._busy += 1  # admitted, not yet running: it still has to send
                return
        self._free += 1
