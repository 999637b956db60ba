"""Speculative first-round pages: the desired state's size lets the first round of a live
listing carry more than the two first pages, without changing what is read and without
extra requests while the service holds about what is declared."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from reconcile.live.client import ScimClient
from reconcile.live.errors import BadRequest, IncompleteListingError
from reconcile.live.fetch import fetch_live
from reconcile.live.listing import speculative_pages
from reconcile.live.model import Live
from reconcile.live.retry import RetryPolicy
from tests.unit.live.fakes import FakeScim, error

FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002)


@pytest.mark.parametrize(
    ("expected", "page_size", "slots", "granted"),
    [
        # 100k users / 10k groups, 8 slots: the 6 idle slots go to the pages least far
        # into their listing: user pages 2-7 are 1-7% in, group page 2 is 12% in.
        ((100_000, 10_000), 1000, 8, [6, 0]),
        ((20_000, 10_000), 1000, 8, [4, 2]),
        ((2_500, 100_000), 1000, 8, [0, 6]),
        # Nothing is certain to exist beyond the first page: nothing is guessed.
        ((1_000, 100), 1000, 8, [0, 0]),
        ((0, 0), 1000, 8, [0, 0]),
        # No idle slot in the first round.
        ((100_000, 10_000), 1000, 2, [0, 0]),
        ((100_000, 10_000), 1000, 1, [0, 0]),
        # Within 90%: 10 pages declared, pages starting at or below 9,000 are guessed.
        ((10_000, 0), 1000, 16, [8, 0]),
    ],
)
def test_idle_first_round_slots_go_to_pages_that_should_exist(
    expected: tuple[int, int], page_size: int, slots: int, granted: list[int]
) -> None:
    assert speculative_pages(expected=expected, page_size=page_size, slots=slots) == granted


def test_a_page_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="page_size"):
        speculative_pages(expected=(10, 10), page_size=0, slots=8)


def tenant(users: int, groups: int = 0) -> FakeScim:
    fake = FakeScim()
    ids = [fake.add_user(f"user{i}@example.test", f"User {i}") for i in range(users)]
    for g in range(groups):
        fake.add_group(f"Group {g}", ids[g::7])
    return fake


def fetch(
    transport: httpx.AsyncBaseTransport, *, page_size: int, users: int = 0, groups: int = 0
) -> Live:
    async def main() -> Live:
        async with ScimClient(
            base_url="https://scim.example.test/scim/v2",
            token="t0ken",
            transport=transport,
            retry=FAST,
            page_size=page_size,
            max_concurrency=8,
        ) as client:
            return await fetch_live(client, expected_users=users, expected_groups=groups)

    return asyncio.run(main())


def starts(fake: FakeScim, endpoint: str) -> list[int]:
    return sorted(int(s.params["startIndex"]) for s in fake.requests("GET", f"/{endpoint}"))


def test_with_the_declared_size_the_requests_are_exactly_the_pages() -> None:
    fake = tenant(95, groups=12)
    live = fetch(fake.transport(), page_size=10, users=100, groups=12)
    assert len(live.users) == 95
    assert len(live.groups) == 12
    assert starts(fake, "Users") == list(range(1, 96, 10))  # 10 pages, none twice
    assert starts(fake, "Groups") == [1, 11]
    plain = tenant(95, groups=12)
    assert fetch(plain.transport(), page_size=10).fingerprint == live.fingerprint


def test_the_first_round_carries_the_speculative_pages() -> None:
    """The first user page is held back until a second page has been asked for: with
    speculation that happens at once; without it, never (the hold times out)."""
    fake = tenant(45)
    asked_while_first_held: list[int] = []
    second_asked = asyncio.Event()
    first_held = False

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal first_held
        start = int(request.url.params.get("startIndex", "1"))
        is_users = request.url.path.endswith("/Users")
        if is_users and start == 1:
            first_held = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(second_asked.wait(), timeout=2)
            first_held = False
        elif is_users:
            if first_held:
                asked_while_first_held.append(start)
            second_asked.set()
        return fake.handle(request)

    live = fetch(httpx.MockTransport(handler), page_size=10, users=45)
    assert len(live.users) == 45
    # Pages starting within 90% of 45 declared users: 11, 21 and 31 (not 41).
    assert sorted(asked_while_first_held) == [11, 21, 31]
    assert starts(fake, "Users") == [1, 11, 21, 31, 41]


def test_a_service_far_smaller_than_declared_wastes_only_the_idle_slots() -> None:
    fake = tenant(3)  # a first sync: 1,000 declared, 3 live
    live = fetch(fake.transport(), page_size=10, users=1_000, groups=1_000)
    assert sorted(u.email for u in live.users) == [f"user{i}@example.test" for i in range(3)]
    # Two first pages plus at most the six idle slots of the first round (guesses that
    # are not sent yet when the first pages answer are cancelled).
    assert 2 <= len(fake.requests("GET")) <= 8


def test_speculative_pages_are_dropped_when_the_service_caps_the_page_size() -> None:
    fake = tenant(45)
    fake.page_cap = 5  # asked for 10, answered 5: the guesses do not line up
    live = fetch(fake.transport(), page_size=10, users=45)
    assert len(live.users) == 45
    asked = [(int(s.params["startIndex"]), int(s.params["count"])) for s in fake.requests("GET")]
    real_pages = {(start, 5) for start in range(6, 46, 5)}
    assert real_pages <= set(asked)


def test_a_failing_page_that_is_not_needed_does_not_fail_the_listing() -> None:
    fake = tenant(12)  # two pages of 10; 30 declared guesses pages at 11 and 21

    def beyond_the_end(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("startIndex") == "21":
            return error(500, None, "boom")
        return None

    fake.script.extend([beyond_the_end] * 8)
    live = fetch(fake.transport(), page_size=10, users=30)
    assert len(live.users) == 12


def test_a_failing_page_that_is_needed_fails_the_listing() -> None:
    fake = tenant(25)

    def page_two(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("startIndex") == "11":
            return error(400, "invalidValue", "no")
        return None

    fake.script.extend([page_two] * 8)
    with pytest.raises(BadRequest):
        fetch(fake.transport(), page_size=10, users=30)


def test_the_listings_take_turns_instead_of_queueing_one_behind_the_other() -> None:
    """50 user pages and 5 group pages: the group pages (the heavy ones at scale) are
    spread over the read, not all sent after the last user page."""
    fake = tenant(500, groups=50)

    async def with_latency(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.002)  # answers take a moment, so requests queue at the gate
        return fake.handle(request)

    fetch(httpx.MockTransport(with_latency), page_size=10)
    order = [s.path for s in fake.requests("GET")]
    assert order.count("/Groups") == 5
    last_group = max(i for i, path in enumerate(order) if path == "/Groups")
    assert last_group < len(order) - 5


def test_a_bad_first_page_leaves_no_request_running() -> None:
    """The remaining pages are requested before the first page is checked: when that
    check fails, they are cancelled, not left running in the background."""
    fake = tenant(25)
    user = dict(next(iter(fake.users.values())))

    def duplicated_first_page(request: httpx.Request) -> httpx.Response | None:
        body = {"totalResults": 25, "startIndex": 0, "Resources": [user] * 10}
        return httpx.Response(200, json=body)

    fake.script.append(duplicated_first_page)

    async def with_latency(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)
        return fake.handle(request)

    async def main() -> set[asyncio.Task[object]]:
        async with ScimClient(
            base_url="https://scim.example.test/scim/v2",
            token="t0ken",
            transport=httpx.MockTransport(with_latency),
            retry=FAST,
            page_size=10,
        ) as client:
            with pytest.raises(IncompleteListingError, match="appears on two pages"):
                await client.list_users(speculate=1)
            return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]

    assert asyncio.run(main()) == set()
