"""Group requests past an unknown service limit, over real HTTP (issue 20): a request
refused for its size (413, nothing changed) is split to the size the answer states and
sent again; the size is kept for the run; a chunk that succeeded is never sent again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from reconcile.live.client import ScimClient
from reconcile.live.retry import RetryPolicy
from tests.conftest import RunningEmulator

pytestmark = pytest.mark.integration

FAST = RetryPolicy(max_attempts=6, base_delay=0.005, max_delay=0.05, total_time=30.0)


def _client(emu: RunningEmulator, **options: Any) -> ScimClient:
    return ScimClient(base_url=emu.url, token=emu.token, allow_http=True, retry=FAST, **options)


def _seed_users(emu: RunningEmulator, count: int) -> list[str]:
    emu.control.seed(
        users=[{"userName": f"m{i}@example.test", "displayName": f"M {i}"} for i in range(count)]
    )
    return [u["id"] for u in emu.control.state()["users"]]


def _names(count: int) -> list[str]:
    """The userNames of the first `count` seeded users (a seeded group names its members)."""
    return [f"m{i}@example.test" for i in range(count)]


def _writes(emu: RunningEmulator) -> list[tuple[str, int]]:
    """(method, status) of every write the emulator saw, in order."""
    entries = emu.control.requests()["entries"]
    return [(e["method"], e["status"]) for e in entries if e["method"] != "GET"]


def test_a_group_gaining_240_members_against_a_limit_of_100_converges_with_one_413(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(max_patch_operations=100)
    uids = _seed_users(emu, 250)
    emu.control.seed(groups=[{"displayName": "Big", "members": _names(10)}])
    gid = emu.control.state()["groups"][0]["id"]
    emu.control.clear_requests()

    async def grow() -> tuple[int, list[str], int]:
        async with _client(emu) as client:
            sent = await client.patch_group(group_id=gid, add_ids=uids[10:250])
            # kept for the rest of the run: the next large change is cut at once
            await client.patch_group(group_id=gid, remove_ids=uids[:150])
            return sent, [x.message for x in client.learned_limits], client.size_refusals

    sent, learned, refusals = asyncio.run(grow())
    assert sent == 3  # 100 + 100 + 40: the chunks that changed the group
    assert learned == ["the service takes at most 100 member values per request"]
    assert refusals == 1
    writes = _writes(emu)
    assert writes[0] == ("PATCH", 413)
    assert [status for _, status in writes[1:]] == [200] * (3 + 2)  # no chunk sent twice
    (group,) = emu.control.state()["groups"]
    assert sorted(group["members"]) == sorted(uids[150:250])


def test_concurrent_large_changes_learn_the_size_from_a_single_413(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(max_patch_operations=100)
    uids = _seed_users(emu, 240)
    emu.control.seed(groups=[{"displayName": f"G{i}", "members": _names(1)} for i in range(6)])
    gids = [g["id"] for g in emu.control.state()["groups"]]
    emu.control.clear_requests()

    async def grow_all() -> list[int]:
        async with _client(emu, max_concurrency=8) as client:
            return await asyncio.gather(
                *(client.patch_group(group_id=gid, add_ids=uids[1:]) for gid in gids)
            )

    assert asyncio.run(grow_all()) == [3] * 6  # 239 = 100 + 100 + 39 each
    statuses = [status for _, status in _writes(emu)]
    assert statuses.count(413) == 1, statuses
    assert statuses.count(200) == 6 * 3
    assert all(sorted(g["members"]) == sorted(uids) for g in emu.control.state()["groups"])


def test_a_250_member_create_against_a_create_limit_of_100_converges(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(max_create_members=100)
    uids = _seed_users(emu, 250)
    emu.control.clear_requests()

    async def create() -> tuple[str, list[str]]:
        async with _client(emu) as client:
            gid = await client.create_group(name="All", member_ids=uids)
            return gid, [x.message for x in client.learned_limits]

    gid, learned = asyncio.run(create())
    assert learned == ["the service takes at most 100 member values per request"]
    # refused whole (nothing created), sent again with 100, the other 150 by PATCH
    assert _writes(emu) == [("POST", 413), ("POST", 201), ("PATCH", 200), ("PATCH", 200)]
    (group,) = emu.control.state()["groups"]
    assert group["id"] == gid
    assert sorted(group["members"]) == sorted(uids)


def test_a_size_set_up_front_sends_no_request_the_service_refuses(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    from reconcile.live.client import PatchLimits

    emu = emulator_factory(max_patch_operations=100, max_create_members=100)
    uids = _seed_users(emu, 250)
    emu.control.clear_requests()

    async def create() -> int:
        async with _client(emu, patch_limits=PatchLimits(max_operations=100)) as client:
            await client.create_group(name="All", member_ids=uids)
            return client.size_refusals

    assert asyncio.run(create()) == 0
    assert _writes(emu) == [("POST", 201), ("PATCH", 200), ("PATCH", 200)]
