"""Unit tests of the paged listing and fetch_live completeness checks (fake service)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reconcile.live.client import ScimClient
from reconcile.live.errors import IncompleteListingError, LiveStateError
from reconcile.live.fetch import fetch_live
from reconcile.live.model import Live
from reconcile.live.retry import RetryPolicy
from tests.unit.live.fakes import FakeScim, Fault, passthrough

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)


def fetch(fake: FakeScim, *, page_size: int = 1000) -> Live:
    async def main() -> Live:
        async with ScimClient(
            base_url="https://scim.example.test/scim/v2",
            token="t0ken",
            transport=fake.transport(),
            retry=FAST,
            page_size=page_size,
        ) as client:
            return await fetch_live(client)

    return asyncio.run(main())


def tenant(users: int, groups: int = 0) -> FakeScim:
    fake = FakeScim()
    ids = [fake.add_user(f"user{i}@example.test", f"User {i}") for i in range(users)]
    for g in range(groups):
        fake.add_group(f"Group {g}", ids[g::7])
    return fake


def test_pages_follow_the_service_cap_and_ignore_the_echoed_start_index() -> None:
    fake = tenant(25, groups=3)
    fake.page_cap = 10  # we ask for 1000, the service answers 10 at a time
    live = fetch(fake)
    assert len(live.users) == 25
    assert len(live.groups) == 3
    user_pages = fake.requests("GET", "/Users")
    assert [s.params["startIndex"] for s in user_pages] == ["1", "11", "21"]
    assert [s.params["count"] for s in user_pages] == ["1000", "10", "10"]
    assert len(fake.requests("GET", "/Groups")) == 1
    assert live.groups_by_name["Group 1"][0].member_ids == frozenset(u.id for u in live.users[1::7])


def test_an_empty_tenant_is_one_request_per_endpoint() -> None:
    fake = FakeScim()
    live = fetch(fake)
    assert live.users == ()
    assert live.groups == ()
    assert len(fake.seen) == 2


def test_live_is_indexed_by_casefolded_email() -> None:
    fake = FakeScim()
    uid = fake.add_user("Jane.Doe@Example.TEST", "Jane Doe")
    live = fetch(fake)
    assert live.users_by_email["jane.doe@example.test"].id == uid


def _mutate_once(fake: FakeScim, at: int, change: object) -> None:
    """Run `change()` just before request number `at` (1-based) is served."""

    def fault(request: httpx.Request) -> None:
        change()  # type: ignore[operator]  # a callable
        return None

    script: list[Fault] = [passthrough] * (at - 1)
    fake.script = [*script, fault]


def test_a_user_created_between_pages_is_read_in_the_tail_without_a_reread() -> None:
    """Creation order: the newcomer lands after every position already requested, so
    the grown listing is read to its new end (one tail page and a spare), not again."""
    fake = tenant(20)
    fake.page_cap = 10
    # users page 1 and groups page 1 are requests 1-2; page 2 of users is request 3
    _mutate_once(fake, 3, lambda: fake.add_user("aaa@example.test", "Newcomer"))
    live = fetch(fake)
    assert len(live.users) == 21
    starts = [s.params["startIndex"] for s in fake.requests("GET", "/Users")]
    assert starts == ["1", "11", "21", "31"]


def _insert_first(fake: FakeScim, n: int) -> None:
    """A user that lists before every other one (the fake lists by id)."""
    uid = f"u0-{n:04d}"
    fake.users[uid] = {"id": uid, "userName": f"first{n}@example.test", "displayName": "F"}


def test_a_user_inserted_before_the_pages_already_read_is_a_shift_and_read_again() -> None:
    """Growth is checked, not trusted: an insertion further up pushes an item already
    read onto the next page (it appears twice), and the listing is read again."""
    fake = tenant(20)
    fake.page_cap = 10
    _mutate_once(fake, 3, lambda: _insert_first(fake, 1))
    live = fetch(fake)
    assert len(live.users) == 21
    starts = [s.params["startIndex"] for s in fake.requests("GET", "/Users")]
    assert starts == ["1", "11", "1", "11", "21"]  # shifted read, then a whole new one


def test_a_listing_growing_faster_than_it_is_read_is_refused() -> None:
    fake = tenant(20)
    fake.page_cap = 10
    counter = iter(range(1000))

    def flood(request: httpx.Request) -> None:
        if request.url.path.endswith("/Users") and request.url.params["startIndex"] != "1":
            for _ in range(15):
                fake.add_user(f"flood{next(counter)}@example.test", "Flood")

    fake.script = [flood] * 100
    with pytest.raises(IncompleteListingError, match="kept growing") as info:
        fetch(fake)
    assert "read twice" in str(info.value)
    # Bounded: each read requests at most twice the pages its first page announced
    # (20 users: 2 + 2; the second read starts at about 50 users: at most 5 + 5).
    assert len(fake.requests("GET", "/Users")) <= 4 + 10


def test_totalresults_changing_is_detected() -> None:
    fake = tenant(20)
    fake.page_cap = 10
    removed = sorted(fake.users)[-1]

    def remove(request: httpx.Request) -> None:
        fake.users.pop(removed)

    fake.script = [passthrough, passthrough, remove]
    live = fetch(fake)
    assert len(live.users) == 19


def test_inconsistent_twice_fails_with_a_clear_error() -> None:
    fake = tenant(20)
    fake.page_cap = 10
    counter = iter(range(1000))

    def churn(request: httpx.Request) -> None:
        if request.url.params.get("startIndex") == "11":
            _insert_first(fake, next(counter))  # a shift every read, not growth at the end

    fake.script = [churn] * 50
    with pytest.raises(IncompleteListingError) as info:
        fetch(fake)
    message = str(info.value)
    assert "read twice" in message
    assert "appears on two pages" in message


def test_a_user_deleted_between_pages_is_a_shrink_and_read_again() -> None:
    fake = tenant(20)
    fake.page_cap = 10
    gone = sorted(fake.users)[0]
    _mutate_once(fake, 3, lambda: fake.users.pop(gone))
    live = fetch(fake)
    assert len(live.users) == 19
    assert gone not in live.users_by_id
    assert len(fake.requests("GET", "/Users")) == 2 + 2


def test_a_duplicate_id_across_pages_is_detected() -> None:
    fake = tenant(20)
    fake.page_cap = 10
    first = sorted(fake.users)[0]

    def duplicate(request: httpx.Request) -> httpx.Response:
        rows = [*[fake.users[k] for k in sorted(fake.users)][10:19], fake.users[first]]
        return httpx.Response(200, json={"totalResults": 20, "Resources": rows})

    fake.script = [passthrough, passthrough, duplicate, passthrough, passthrough, duplicate]
    with pytest.raises(IncompleteListingError, match=f"id {first} appears on two pages"):
        fetch(fake)


def test_a_short_page_before_the_end_is_detected() -> None:
    fake = tenant(30)
    fake.page_cap = 10

    def short(request: httpx.Request) -> httpx.Response | None:
        if request.url.params.get("startIndex") == "11":
            rows = [fake.users[k] for k in sorted(fake.users)][10:15]
            return httpx.Response(200, json={"totalResults": 30, "Resources": rows})
        return None

    fake.script = [short] * 20
    with pytest.raises(IncompleteListingError, match="short page at startIndex 11"):
        fetch(fake)


def test_a_member_that_is_no_listed_user_is_detected() -> None:
    fake = tenant(3)
    fake.add_group("Ghosts", ["u99999"])
    with pytest.raises(IncompleteListingError, match="u99999"):
        fetch(fake)


def test_two_users_with_one_email_cannot_be_planned_from() -> None:
    fake = FakeScim()
    fake.add_user("same@example.test", "A")
    fake.add_user("SAME@example.test", "B")
    with pytest.raises(LiveStateError, match="share the e-mail"):
        fetch(fake)
