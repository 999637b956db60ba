"""Paged listing of one SCIM endpoint, complete or an error: never a partial picture.

The first page reveals `totalResults` and the service's real page size (it may cap
`count`); the remaining pages are requested concurrently (the client bounds how many are
in flight). The echoed `startIndex` is ignored: TeamViewer answers 0, so the position of
every page is the one we asked for. Any sign that the listing moved underneath us raises
`IncompleteListingError`; the caller decides whether to re-read (see `fetch.py`).

A listing that only grew while it was read is not a moved one. TeamViewer never deletes
users and lists in creation order, so a user created during the read lands after every
position already requested: pages report a larger `totalResults`, and the extra tail is
read at the end. That order is checked, not trusted: a page whose total shrank, whose
length does not fit its own total, or that repeats an id already listed (an insertion
before it pushed an item across a page boundary; the tail starting with an item already
seen) still raises. A listing that keeps outgrowing its reads (more new pages than it
first announced) is refused too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

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

# The tail of a growing listing is requested with one page more than its known end: the
# tenant keeps growing during that round trip, and the spare page usually catches it.
TAIL_HEADROOM_PAGES = 1


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


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the first page tells: totalResults, the service's real page size (it may cap
    `count` below what we asked for), and the start of every page still due."""

    total: int
    size: int
    due: range


class Listing(Generic[T]):
    """One endpoint read completely, in listing order; `what` names it in errors.

    Each page is checked and parsed while the others are still on their way, in chunks,
    each when no request of the gate is busy on the wire (gate.quiet): parsing never holds
    up an answer or the next request. Once more pages wait to be parsed than the gate has
    slots, they are parsed at once, so that memory stays bounded. The first page is
    decoded at once: it tells what else to request. `speculate` pages after the first are
    requested together with it (see `speculative_pages`); one that turns out not to be
    needed is discarded unread. With a `gate` shared by several listings, each page waits
    for its turn there (see gate.py). Without a gate, the caller's own limit applies and
    pages are parsed as they come.
    """

    def __init__(
        self,
        *,
        fetch_page: PageFetcher,
        parse: Callable[[list[dict[str, Any]]], list[T]],
        what: str,
        page_size: int,
        gate: PriorityGate | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.what = what
        self.page_size = page_size
        self._fetch_page = fetch_page
        self._parse = parse
        self._follow_wire = gate is not None
        self._gate = gate or PriorityGate(1_000_000)
        self._backlog = 0  # pages received and not yet parsed (the first page aside)
        self._seen: set[str] = set()  # ids listed so far
        self._top = 0  # the largest totalResults any page reported
        self._shape: asyncio.Future[_Shape] | None = None

    async def read(self, *, speculate: int = 0) -> list[T]:
        """Every resource, or an error: never a partial picture."""
        self._backlog, self._seen, self._top = 0, set(), 0
        self._shape = asyncio.get_running_loop().create_future()
        size = self.page_size
        early = {
            start: asyncio.ensure_future(self._later_page(start, size, speculative=True))
            for start in range(1 + size, 1 + (speculate + 1) * size, size)
        }
        tasks: list[asyncio.Future[list[T] | None]] = []
        try:
            first = (await self._receive(1, size, priority=0.0)).decode()
            self._check(first, start=1, shape=None)
            shape = self._shape_of(first)
            self._shape.set_result(shape)
            reuse = shape.size == size  # speculative pages line up with the real pages
            # The remaining pages are requested before this one is parsed: parsing a page
            # of 1,000 groups takes a while, and the service can work meanwhile.
            tasks = [
                early.pop(start)
                if reuse and start in early
                else asyncio.ensure_future(self._later_page(start, shape.size, speculative=False))
                for start in shape.due
            ]
            pages = [await self._parse_chunked(first.resources)]
            for page in await gather_all(tasks):
                assert page is not None  # every one of these starts is due
                pages.append(page)
            pages.extend(await self._read_tail(shape, covered=sum(map(len, pages))))
        finally:
            # Speculative pages that were not needed, or every page after a failure (the
            # first page's own checks included): never leave a request running.
            leftover = [*early.values(), *tasks]
            for task in leftover:
                task.cancel()
            await asyncio.gather(*leftover, return_exceptions=True)
        return [item for page in pages for item in page]

    def _check(self, page: ListResponse, *, start: int, shape: _Shape | None) -> None:
        """Every consistency check of the listing: raise IncompleteListingError when
        `page` shows that the listing moved while it was read. `shape` is None for the
        first page, whose own totalResults sets it. A larger total is growth (checked at
        the end, see `_read_tail`); each page's length must fit its own total."""
        items = page.resources
        total = page.total_results
        if shape is None:
            if len(items) > total:
                raise self._moved(
                    f"the first page holds {len(items)} items but totalResults is {total}"
                )
            if not items and total:
                raise self._moved(f"the first page is empty but totalResults is {total}")
        else:
            if total < shape.total:
                raise self._moved(
                    f"totalResults went from {shape.total} to {total} (page at startIndex {start})"
                )
            expected = max(0, min(shape.size, total - start + 1))
            if len(items) != expected:
                adjective = "short" if len(items) < expected else "long"
                raise self._moved(
                    f"a {adjective} page at startIndex {start}: {len(items)} items "
                    f"where {expected} were due"
                )
        self._top = max(self._top, total)
        for item in items:
            ident = item.get("id")
            if not isinstance(ident, str) or not ident:
                # Shape errors are reported by the caller's parsing with the item's position.
                continue
            if ident in self._seen:
                raise self._moved(f"id {ident} appears on two pages")
            self._seen.add(ident)

    async def _read_tail(self, shape: _Shape, *, covered: int) -> list[list[T]]:
        """The items past `covered` of a listing that grew while it was read, or [].

        Each round requests the pages from `covered + 1` to the largest total seen (and
        a spare one). Under creation order they hold only resources created during the
        read; an item already listed (an insertion further up pushed it down) or a page
        that does not fit its own total is a moved listing (see `_check`). The rounds
        may request at most as many pages as the first page announced: a listing that
        outgrows that is refused rather than chased.
        """
        pages: list[list[T]] = []
        budget = 1 + len(shape.due)
        while self._top > covered:
            starts = list(range(covered + 1, self._top + 1, shape.size))
            if len(starts) > budget:
                raise self._moved(
                    f"totalResults went from {shape.total} to {self._top} while it was read "
                    "and kept growing faster than its new pages could be read"
                )
            spare = min(TAIL_HEADROOM_PAGES, budget - len(starts))
            starts += [starts[-1] + shape.size * (i + 1) for i in range(spare)]
            budget -= len(starts)
            received = await gather_all(
                [self._receive(s, shape.size, priority=s / self._top) for s in starts]
            )
            for start, answer in zip(starts, received, strict=True):
                if start != covered + 1:
                    break  # past a page that ended the listing at its time: next round
                page = answer.decode()
                if page.total_results < covered:  # an item already listed is gone
                    raise self._moved(
                        f"totalResults went from {self._top} to {page.total_results} "
                        f"(page at startIndex {start})"
                    )
                self._check(page, start=start, shape=shape)
                pages.append(await self._parse_chunked(page.resources))
                covered += len(page.resources)
        return pages

    def _moved(self, reason: str) -> IncompleteListingError:
        return IncompleteListingError(
            f"the {self.what} listing changed while it was read: {reason}"
        )

    def _shape_of(self, first: ListResponse) -> _Shape:
        total, held = first.total_results, len(first.resources)
        if held >= total:
            return _Shape(total=total, size=self.page_size, due=range(0))
        pages_due = 1 + (total - 1) // held
        if pages_due > MAX_PAGES:
            raise LiveStateError(
                f"the {self.what} listing claims totalResults {total} in pages of {held}: "
                f"{pages_due} pages, more than the {MAX_PAGES} reconcile reads. Check "
                "that --target is the SCIM base URL of the right service; the engine "
                "never plans from a partial listing"
            )
        return _Shape(total=total, size=held, due=range(1 + held, total + 1, held))

    async def _receive(self, start: int, count: int, *, priority: float) -> ReceivedPage:
        async with self._gate.slot(priority) as slot:
            return await self._fetch_page(start, count, slot)

    @contextmanager
    def _in_backlog(self) -> Iterator[None]:
        """A page counts in the backlog from its arrival until it is parsed or dropped."""
        self._backlog += 1
        try:
            yield
        finally:
            self._backlog -= 1

    async def _parse_turn(self) -> None:
        if self._follow_wire and self._backlog <= self._gate.slots:
            await self._gate.quiet()
        else:
            await asyncio.sleep(0)  # let the answers out, but parse without waiting

    async def _later_page(self, start: int, count: int, *, speculative: bool) -> list[T] | None:
        """A page after the first; a speculative one is None when not needed after all."""
        assert self._shape is not None
        if speculative:
            received = await self._receive(start, count, priority=0.0)
        else:
            shape = await self._shape
            # How far into its listing: the gate admits the page furthest behind first.
            received = await self._receive(start, count, priority=start / shape.total)
        with self._in_backlog():
            await self._parse_turn()
            page = received.decode()
            if speculative:
                shape = await self._shape
                if start not in shape.due or shape.size != self.page_size:
                    return None  # beyond the end, or the service pages differently than asked
            self._check(page, start=start, shape=shape)
            return await self._parse_chunked(page.resources)

    async def _parse_chunked(self, items: list[dict[str, Any]]) -> list[T]:
        parsed: list[T] = []
        for i in range(0, len(items), PARSE_CHUNK):
            if i:
                await self._parse_turn()
            parsed.extend(self._parse(items[i : i + PARSE_CHUNK]))
        return parsed
