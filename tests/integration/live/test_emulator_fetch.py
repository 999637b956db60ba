"""fetch_live over real HTTP against the emulator: complete, minimal, robust to faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconcile.live.client import ScimClient
from reconcile.live.errors import IncompleteListingError
from reconcile.live.fetch import fetch_live
from reconcile.live.gate import PriorityGate
from reconcile.live.model import Live, LiveGroup, LiveUser
from tests.integration.live.conftest import Emu
from tests.integration.live.helpers import run

pytestmark = pytest.mark.integration


def seed_tenant(emu: Emu, *, users: int, groups: int) -> None:
    emails = [f"user{i:05d}@example.test" for i in range(users)]
    emu.seed(
        users=[
            {"userName": e, "displayName": f"User {i}", "active": i % 10 != 0}
            for i, e in enumerate(emails)
        ],
        groups=[{"displayName": f"Group {g}", "members": emails[g::groups]} for g in range(groups)],
    )


def live_from_dump(state: dict[str, Any]) -> Live:
    """The emulator's own dump, as the Live the client should have built."""
    return Live.build(
        users=[
            LiveUser(
                id=u["id"], email=u["userName"], display_name=u["displayName"], active=u["active"]
            )
            for u in state["users"]
        ],
        groups=[
            LiveGroup(id=g["id"], name=g["displayName"], member_ids=frozenset(g["members"]))
            for g in state["groups"]
        ],
    )


def test_5000_user_tenant_is_listed_completely_with_the_minimum_of_requests(emu: Emu) -> None:
    seed_tenant(emu, users=5000, groups=40)
    emu.clear_requests()
    live = run(emu.base_url, fetch_live)
    assert live == live_from_dump(emu.state())
    log = emu.requests()
    # page size 1000 (the emulator's cap): 5 user pages + 1 group page, nothing else
    assert log["counts"] == {"GET /scim/v2/Groups": 1, "GET /scim/v2/Users": 5}
    assert log["total"] == 6


def test_a_service_cap_below_our_page_size_is_followed_not_fought(
    emu_factory: Callable[..., Emu],
) -> None:
    emu = emu_factory(max_page_size=300)
    seed_tenant(emu, users=1000, groups=5)
    emu.clear_requests()
    live = run(emu.base_url, fetch_live)
    assert live == live_from_dump(emu.state())
    assert emu.requests()["counts"] == {"GET /scim/v2/Groups": 1, "GET /scim/v2/Users": 4}


def test_a_5xx_burst_costs_exactly_one_extra_request_per_failure(emu: Emu) -> None:
    seed_tenant(emu, users=600, groups=3)
    emu.set_faults(error_rate=0.3)
    # Seed 43: the first roll fails and the first 20 hold 5 failures, so some request
    # is refused and none runs out of its 6 attempts, whatever order the pages go in.
    emu.reseed_faults(43)
    emu.clear_requests()
    live = run(emu.base_url, fetch_live, page_size=50)
    emu.set_faults(error_rate=0.0)
    assert live == live_from_dump(emu.state())
    log = emu.requests()
    failures = log["by_status"].get("503", 0)
    assert failures > 0  # the burst did happen
    assert log["total"] == 12 + 1 + failures  # pages + the retries the faults forced


def test_a_429_storm_never_sends_inside_a_retry_after_window(emu: Emu) -> None:
    seed_tenant(emu, users=12, groups=0)
    ids = [u["id"] for u in emu.state()["users"]]
    emu.set_faults(rate_limit_rps=8, rate_limit_burst=2)
    emu.clear_requests()
    records: list[Any] = []

    async def deactivate_all(client: ScimClient) -> None:
        await asyncio.gather(*(client.update_user(user_id=i, active=False) for i in ids))

    run(emu.base_url, deactivate_all, max_concurrency=6, on_request=records.append)
    emu.set_faults(rate_limit_rps=None)
    assert all(not u["active"] for u in emu.state()["users"])
    limited = [r for r in records if r.status == 429]
    assert limited, "the storm did not happen"
    # The emulator's Retry-After is at least 1 s: nothing may leave within 1 s of a 429.
    for r in limited:
        answered = r.sent_at + r.duration
        inside = [o for o in records if answered < o.sent_at < answered + 1.0]
        assert inside == [], f"{len(inside)} request(s) sent inside a Retry-After window"
    assert emu.requests()["by_status"].get("429", 0) == len(limited)
    assert len([r for r in records if r.status == 200]) == len(ids)


def test_the_client_rate_limit_keeps_under_the_service_limit(emu: Emu) -> None:
    seed_tenant(emu, users=20, groups=0)
    ids = [u["id"] for u in emu.state()["users"]]
    emu.set_faults(rate_limit_rps=25, rate_limit_burst=5)
    emu.clear_requests()

    async def rename_all(client: ScimClient) -> None:
        await asyncio.gather(*(client.update_user(user_id=i, display_name="X") for i in ids))

    started = time.monotonic()
    run(emu.base_url, rename_all, rate_limit_rps=15.0, max_concurrency=8)
    elapsed = time.monotonic() - started
    emu.set_faults(rate_limit_rps=None)
    assert emu.requests()["by_status"] == {"200": 20}  # never a 429
    assert elapsed >= 19 / 15.0  # the bucket really spaced them


def test_a_listing_that_moves_is_read_again_and_comes_out_complete(
    emu_factory: Callable[..., Emu],
) -> None:
    # Listed by name: a newcomer named "Aaron" enters before every page already read.
    emu = emu_factory(list_order="name")
    seed_tenant(emu, users=50, groups=0)
    emu.set_faults(slow_page_ms=600)  # each page answer is computed, then held 0.6 s
    emu.clear_requests()

    async def fetch_while_someone_adds(client: ScimClient) -> Live:
        async def add_later() -> None:
            await asyncio.sleep(0.3)  # after page 1 was computed, before pages 2..5 arrive
            await asyncio.to_thread(
                emu.seed, users=[{"userName": "late@example.test", "displayName": "Aaron Late"}]
            )

        adder = asyncio.create_task(add_later())
        live = await fetch_live(client)
        await adder
        return live

    live = run(emu.base_url, fetch_while_someone_adds, page_size=10)
    emu.set_faults(slow_page_ms=0)
    assert "late@example.test" in live.users_by_email
    assert len(live.users) == 51
    # first read: 5 user pages (inconsistent); second read: 6 user pages
    assert emu.requests()["counts"]["GET /scim/v2/Users"] == 11


def test_a_listing_that_keeps_moving_fails_instead_of_planning_from_half(
    emu_factory: Callable[..., Emu],
) -> None:
    emu = emu_factory(list_order="name")  # every newcomer ("A ...") lists first
    seed_tenant(emu, users=30, groups=0)
    emu.set_faults(slow_page_ms=200)

    async def fetch_during_churn(client: ScimClient) -> None:
        stop = asyncio.Event()

        async def churn() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                await asyncio.to_thread(
                    emu.seed, users=[{"userName": f"c{n}@example.test", "displayName": f"A {n}"}]
                )
                await asyncio.sleep(0.05)

        task = asyncio.create_task(churn())
        try:
            await fetch_live(client)
        finally:
            stop.set()
            await task

    with pytest.raises(IncompleteListingError, match="read twice"):
        run(emu.base_url, fetch_during_churn, page_size=10)
    emu.set_faults(slow_page_ms=0)


def test_a_tenant_growing_during_the_read_is_read_to_its_new_end_not_again(emu: Emu) -> None:
    """Creation order (the emulator's default, like TeamViewer): users added every 40 ms
    while the pages are read land after every page already requested. The read is not
    refused and not repeated: it holds every user that existed before it started."""
    seed_tenant(emu, users=50, groups=2)
    before = {u["userName"] for u in emu.state()["users"]}
    emu.set_faults(slow_page_ms=300)
    emu.clear_requests()

    async def fetch_during_hiring(client: ScimClient) -> Live:
        stop = asyncio.Event()

        async def hire() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                user = {"userName": f"hire{n}@example.test", "displayName": "Hire"}
                await asyncio.to_thread(emu.seed, users=[user])
                await asyncio.sleep(0.04)

        task = asyncio.create_task(hire())
        try:
            return await fetch_live(client)
        finally:
            stop.set()
            await task

    live = run(emu.base_url, fetch_during_hiring, page_size=10)
    emu.set_faults(slow_page_ms=0)
    assert before <= set(live.users_by_email)
    assert len(live.users) > 50  # some of the new hires were read in the tail
    user_pages = emu.requests()["counts"]["GET /scim/v2/Users"]
    assert user_pages < 2 * 5, user_pages  # read once: 5 pages and a short tail, no re-read


def test_a_group_deleted_mid_read_makes_the_listing_read_again(emu: Emu) -> None:
    seed_tenant(emu, users=20, groups=25)
    gone = emu.state()["groups"][0]["id"]
    emu.set_faults(slow_page_ms=600)
    emu.clear_requests()

    async def fetch_while_someone_deletes(client: ScimClient) -> Live:
        async def delete_later() -> None:
            await asyncio.sleep(0.3)  # page 1 of the groups is computed, pages 2-3 not yet
            async with httpx.AsyncClient(headers={"Authorization": f"Bearer {emu.token}"}) as http:
                answer = await http.delete(f"{emu.base_url}/Groups/{gone}")
                assert answer.status_code == 204

        deleter = asyncio.create_task(delete_later())
        live = await fetch_live(client)
        await deleter
        return live

    live = run(emu.base_url, fetch_while_someone_deletes, page_size=10)
    emu.set_faults(slow_page_ms=0)
    assert live == live_from_dump(emu.state())  # the state after the delete, complete
    assert gone not in live.groups_by_id
    # first read: 3 group pages, one shrunk; the second: 3 pages of 24
    assert emu.requests()["counts"]["GET /scim/v2/Groups"] == 6


def test_a_request_waiting_for_its_answer_leaves_the_wire_quiet(emu: Emu) -> None:
    """The HTTP client's trace events reach the gate over real HTTP: while a page request
    waits out the service's latency, nothing is busy on the wire and parsing may run. If
    the events were not hooked up (or renamed by the HTTP library), the request would
    count as busy for its whole 300 ms."""
    seed_tenant(emu, users=50, groups=2)
    emu.set_faults(latency_ms=300)

    async def sample(client: ScimClient) -> tuple[list[int], int]:
        gate = PriorityGate(2)
        listing = asyncio.ensure_future(client.list_users(gate=gate))
        samples = []
        while not listing.done():
            samples.append(gate.busy)
            await asyncio.sleep(0.01)
        assert len(await listing) == 50
        return samples, gate.busy

    samples, busy_after = run(emu.base_url, sample, allow_http=True)
    assert len(samples) >= 20
    assert samples.count(0) >= 0.8 * len(samples), samples
    assert busy_after == 0
