"""Pages are parsed only while every request in flight waits for its answer (gate.quiet),
and a transport that never says so still gets every page parsed, with a bounded backlog."""

from __future__ import annotations

import asyncio
from typing import Any

from reconcile.live.gate import PriorityGate, Slot
from reconcile.live.listing import Listing
from reconcile.live.wire import ListResponse

TOTAL, PAGE = 60, 3  # 20 pages


class _Received:
    def __init__(self, start: int, count: int) -> None:
        self.start, self.count = start, count

    def decode(self) -> ListResponse:
        last = min(TOTAL, self.start + self.count - 1)
        items = [{"id": f"u{i:03d}"} for i in range(self.start, last + 1)]
        return ListResponse.model_validate({"totalResults": TOTAL, "Resources": items})


def _listing(
    *, reports_waiting: bool, shared_gate: bool = True
) -> tuple[list[str], list[int], int, list[int]]:
    """(the ids listed, the gate's busy count at each parse, the peak of pages received
    and not yet parsed, the pages received at each parse)."""
    gate = PriorityGate(4)
    busy_at_parse: list[int] = []
    received_at_parse: list[int] = []
    received = parsed = peak = 0

    async def fetch_page(start: int, count: int, slot: Slot) -> _Received:
        nonlocal received, peak
        await asyncio.sleep(0.001)  # connecting and sending: busy
        if reports_waiting:
            slot.waiting()
        await asyncio.sleep(0.01 + (start % 7) / 1000)  # the answer is on its way
        slot.busy()  # receiving
        await asyncio.sleep(0)
        received += 1
        peak = max(peak, received - parsed)
        return _Received(start, count)

    def parse(items: list[dict[str, Any]]) -> list[str]:
        nonlocal parsed
        busy_at_parse.append(gate.busy)
        received_at_parse.append(received)
        parsed += 1
        return [str(item["id"]) for item in items]

    async def main() -> list[str]:
        listing = Listing(
            fetch_page=fetch_page,
            parse=parse,
            what="user",
            page_size=PAGE,
            gate=gate if shared_gate else None,
        )
        return await listing.read(speculate=3)

    ids = asyncio.run(main())
    return ids, busy_at_parse, peak, received_at_parse


def test_pages_are_parsed_only_while_no_request_is_busy_on_the_wire() -> None:
    ids, busy_at_parse, _, _ = _listing(reports_waiting=True)
    assert ids == [f"u{i:03d}" for i in range(1, TOTAL + 1)]
    # The first page is decoded at once (it tells what else to request); every later
    # page waited until each request in flight was only waiting for its answer.
    assert busy_at_parse[1:] == [0] * (len(busy_at_parse) - 1)


def test_a_transport_that_never_reports_its_requests_sent_still_gets_every_page_parsed() -> None:
    ids, _, peak, _ = _listing(reports_waiting=False)
    assert ids == [f"u{i:03d}" for i in range(1, TOTAL + 1)]
    # Never quiet while requests are in flight: once more pages wait than the gate's 4
    # slots, the next ones are parsed without waiting (a few may arrive while one yields).
    # Waiting for quiet alone would hold all 20 until the end.
    assert peak <= 2 * 4


def test_without_a_gate_pages_are_parsed_as_they_come() -> None:
    # No gate to follow the wire with (the caller bounds its own requests): waiting for a
    # quiet wire would hold every page until the last one is in.
    ids, _, _, received_at_parse = _listing(reports_waiting=False, shared_gate=False)
    assert ids == [f"u{i:03d}" for i in range(1, TOTAL + 1)]
    # The second parse (the first page after the first) ran before the last page was in.
    assert received_at_parse[1] < TOTAL // PAGE
