"""Paged listing of one SCIM endpoint, complete or an error: never a partial picture.

The first page reveals `totalResults` and the service's real page size (it may cap
`count`); the remaining pages are requested concurrently (the client bounds how many are
in flight). The echoed `startIndex` is ignored: TeamViewer answers 0, so the position of
every page is the one we asked for. Any sign that the listing moved underneath us raises
`IncompleteListingError`; the caller decides whether to re-read (see `fetch.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from reconcile.live.errors import IncompleteListingError, LiveStateError
from reconcile.live.gate import PriorityGate, Slot
from reconcile.live.wire import ListResponse

T = TypeVar("T")


class ReceivedPage(Protocol):
    """A list page's answer as it came off the wire; decoded when there is time for it."""

    def decode(self) -> ListResponse: ...


# (start_index, count, the request's place in the gate) -> one page, not yet decoded
PageFetcher = Callable[[int, int, Slot], Awaitable[ReceivedPage]]

# Items parsed between two looks at the wire (see gate.quiet): about 1 ms of users, or
# 10 ms of groups with 100 members each.
PARSE_CHUNK = 100

# A bound on the pages one listing may need, checked before any of them is requested:
# a `totalResults` that lies (or never ends) must not turn into millions of requests or
# an out-of-memory crash. 10,000 pages is 10 million resources at TeamViewer's page
# size, and still 100,000 users from a service that caps pages at 10.
MAX_PAGES = 10_000


async def gather_all(coros: Sequence[Awaitable[T]]) -> list[T]:
    """Like asyncio.gather, but the first failure cancels the others before it propagates."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    if not tasks:
        return []
    try:
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    # Read the exception of every finished task, not just the first failed one: asyncio
    # logs an unread one ("Task exception was never retrieved") with a traceback.
    errors = [t.exception() for t in tasks if t.done() and not t.cancelled()]
    for error in errors:
        if error is not None:
            raise error
    return [t.result() for t in tasks]


def _inconsistent(what: str, reason: str) -> IncompleteListingError:
    return IncompleteListingError(f"the {what} listing changed while it was read: {reason}")


def speculative_pages(*, expected: Sequence[int], page_size: int, slots: int) -> list[int]:
    """How many pages after the first to request together with it, per listing.

    The first page is what reveals `totalResults`; waiting for it before asking for the
    rest costs one whole round trip. When the caller knows roughly how many resources to
    expect (the desired state declares them), the slots the first pages leave idle are
    spent on pages that should exist: only those starting within 90% of the expected
    count, so a request is wasted only when the service holds far fewer resources than
    declared (a first sync), and then at most `slots - len(expected)` of them, once.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    # Pages 2, 3, ... starting at or below 90% of the expected count.
    wanted = [max(0, (count * 9 // 10 - 1) // page_size) for count in expected]
    spare = max(0, slots - len(expected))
    granted = [0] * len(wanted)
    # Each idle slot goes to the page that is least far into its own listing, the order
    # the gate admits pages in later (gate.py): the read advances evenly on all listings.
    while spare:
        open_ = [i for i, want in enumerate(wanted) if granted[i] < want]
        if not open_:
            break
        i = min(open_, key=lambda i: (granted[i] + 1) / wanted[i])
        granted[i] += 1
        spare -= 1
    return granted


async def list_all(
    *,
    fetch_page: PageFetcher,
    parse: Callable[[list[dict[str, Any]]], list[T]],
    what: str,
    page_size: int,
    speculate: int = 0,
    gate: PriorityGate | None = None,
) -> list[T]:
    """Every resource of one endpoint, in listing order; `what` names it in errors.

    Each page is checked and parsed while the others are still on their way, in chunks,
    each when no request of the gate is busy on the wire (gate.quiet): parsing never holds
    up an answer or the next request. Once more pages wait to be parsed than the gate has
    slots, they are parsed at once, so that memory stays bounded. The first page is
    decoded at once: it tells what else to request. `speculate` pages after the first are
    requested together with it (see `speculative_pages`); one that turns out not to be
    needed is discarded unread. With a `gate` shared by several listings, each page waits
    for its turn there (see gate.py). Without a gate, the client's own limit applies and
    pages are parsed as they come.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    follow_wire = gate is not None
    gate = gate or PriorityGate(1_000_000)
    backlog = 0  # pages received and not yet parsed (the first page aside)

    async def parse_turn() -> None:
        if follow_wire and backlog <= gate.slots:
            await gate.quiet()
        else:
            await asyncio.sleep(0)  # let the answers out, but parse without waiting

    async def gated(
        start: int, count: int, priority: float, *, urgent: bool = False
    ) -> ListResponse:
        """One page, decoded. An `urgent` one (the first: it tells what else to request)
        is decoded at once; any other counts in the backlog and the caller owes `done()`."""
        nonlocal backlog
        async with gate.slot(priority) as slot:
            received = await fetch_page(start, count, slot)
        if urgent:
            return received.decode()
        backlog += 1
        try:
            await parse_turn()
            return received.decode()
        except BaseException:
            done()
            raise

    def done() -> None:
        nonlocal backlog
        backlog -= 1

    loop = asyncio.get_running_loop()
    # Known once the first page is in: totalResults, the real page size, the pages due.
    shape: asyncio.Future[tuple[int, int, range]] = loop.create_future()
    seen: set[str] = set()

    async def take(page: ListResponse, start: int, total: int, size: int) -> list[T]:
        if page.total_results != total:
            raise _inconsistent(
                what,
                f"totalResults went from {total} to {page.total_results} "
                f"(page at startIndex {start})",
            )
        expected = min(size, total - start + 1)
        if len(page.resources) != expected:
            adjective = "short" if len(page.resources) < expected else "long"
            raise _inconsistent(
                what,
                f"a {adjective} page at startIndex {start}: {len(page.resources)} items "
                f"where {expected} were due",
            )
        _check_ids(page.resources, seen, what)
        return await parse_chunked(page.resources)

    async def parse_chunked(items: list[dict[str, Any]]) -> list[T]:
        parsed: list[T] = []
        for i in range(0, len(items), PARSE_CHUNK):
            if i:
                await parse_turn()
            parsed.extend(parse(items[i : i + PARSE_CHUNK]))
        return parsed

    async def later_page(start: int, count: int, *, speculative: bool) -> list[T] | None:
        """A page after the first; a speculative one is None when not needed after all."""
        if speculative:
            page = await gated(start, count, 0.0)
            try:
                total, size, due = await shape
            except BaseException:
                done()
                raise
            if start not in due or size != page_size:
                done()
                return None  # beyond the end, or the service pages differently than asked
        else:
            total, size, due = await shape
            page = await gated(start, count, start / total)  # how far into its listing
        try:
            return await take(page, start, total, size)
        finally:
            done()

    early = {
        start: asyncio.ensure_future(later_page(start, page_size, speculative=True))
        for start in range(1 + page_size, 1 + (speculate + 1) * page_size, page_size)
    }
    tasks: list[asyncio.Future[list[T] | None]] = []
    try:
        first = await gated(1, page_size, 0.0, urgent=True)
        total = first.total_results
        items = first.resources
        if len(items) > total:
            raise _inconsistent(
                what, f"the first page holds {len(items)} items but totalResults is {total}"
            )
        size, due = page_size, range(0)
        if len(items) < total:
            if not items:
                raise _inconsistent(what, f"the first page is empty but totalResults is {total}")
            # The service's real page size: it may cap `count` below what we asked for.
            size = len(items)
            pages_due = 1 + (total - 1) // size
            if pages_due > MAX_PAGES:
                raise LiveStateError(
                    f"the {what} listing claims totalResults {total} in pages of {size}: "
                    f"{pages_due} pages, more than the {MAX_PAGES} reconcile reads. Check "
                    "that --target is the SCIM base URL of the right service; the engine "
                    "never plans from a partial listing"
                )
            due = range(1 + size, total + 1, size)
        shape.set_result((total, size, due))
        reuse = size == page_size  # speculative pages line up with the real pages
        # The remaining pages are requested before this one is parsed: parsing a page of
        # 1,000 groups takes a while, and the service can work meanwhile.
        tasks = [
            early.pop(start)
            if reuse and start in early
            else asyncio.ensure_future(later_page(start, size, speculative=False))
            for start in due
        ]
        _check_ids(items, seen, what)
        pages = [await parse_chunked(items)]
        for page in await gather_all(tasks):
            assert page is not None  # every one of these starts is due
            pages.append(page)
    finally:
        # Speculative pages that were not needed, or every page after a failure (the first
        # page's own checks included): never leave a request running.
        leftover = [*early.values(), *tasks]
        for task in leftover:
            task.cancel()
        await asyncio.gather(*leftover, return_exceptions=True)
    return [item for page in pages for item in page]


def _check_ids(items: list[dict[str, Any]], seen: set[str], what: str) -> None:
    for item in items:
        ident = item.get("id")
        if not isinstance(ident, str) or not ident:
            # Shape errors are reported by the caller's parsing with the item's position.
            continue
        if ident in seen:
            raise _inconsistent(what, f"id {ident} appears on two pages")
        seen.add(ident)
