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
from typing import Any, TypeVar

from reconcile.live.errors import IncompleteListingError, LiveStateError
from reconcile.live.wire import ListResponse

T = TypeVar("T")

# (start_index, count) -> one page
PageFetcher = Callable[[int, int], Awaitable[ListResponse]]

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


async def list_all(*, fetch_page: PageFetcher, what: str, page_size: int) -> list[dict[str, Any]]:
    """Every resource of one endpoint, in listing order; `what` names it in errors."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    first = await fetch_page(1, page_size)
    total = first.total_results
    items = list(first.resources)
    if len(items) > total:
        raise _inconsistent(
            what, f"the first page holds {len(items)} items but totalResults is {total}"
        )
    if len(items) < total:
        if not items:
            raise _inconsistent(what, f"the first page is empty but totalResults is {total}")
        # The service's real page size: it may cap `count` below what we asked for.
        size = len(items)
        pages_due = 1 + (total - 1) // size
        if pages_due > MAX_PAGES:
            raise LiveStateError(
                f"the {what} listing claims totalResults {total} in pages of {size}: "
                f"{pages_due} pages, more than the {MAX_PAGES} reconcile reads. Check that "
                "--target is the SCIM base URL of the right service; the engine never plans "
                "from a partial listing"
            )
        starts = list(range(1 + size, total + 1, size))
        pages = await gather_all([fetch_page(start, size) for start in starts])
        for start, page in zip(starts, pages, strict=True):
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
            items.extend(page.resources)
    seen: set[str] = set()
    for item in items:
        ident = item.get("id")
        if not isinstance(ident, str) or not ident:
            # Shape errors are reported by the caller's parsing with the item's position.
            continue
        if ident in seen:
            raise _inconsistent(what, f"id {ident} appears on two pages")
        seen.add(ident)
    return items
