"""Writes over real HTTP against the emulator: R17 settling, dropped answers, auth, groups."""

from __future__ import annotations

import asyncio

import pytest

from reconcile.live.client import PatchLimits, RequestRecord, ScimClient
from reconcile.live.errors import Forbidden, ForeignAccountConflict, Unauthorized
from reconcile.live.fetch import fetch_live
from tests.integration.live.conftest import READ_TOKEN, Emu
from tests.integration.live.helpers import run

pytestmark = pytest.mark.integration


def test_r17_dropped_create_answers_never_duplicate_a_user(emu: Emu) -> None:
    emu.set_faults(drop_rate=1.0)  # every write is committed, then its answer is lost

    async def create_three(client: ScimClient) -> list[str]:
        return [
            await client.create_user(email=f"p{i}@example.test", display_name=f"P {i}", active=True)
            for i in range(3)
        ]

    ids = run(emu.base_url, create_three)
    emu.set_faults(drop_rate=0.0)
    users = {u["id"]: u["userName"] for u in emu.state()["users"]}
    assert users == {ids[i]: f"p{i}@example.test" for i in range(3)}
    counts = emu.requests()["counts"]
    assert counts["POST /scim/v2/Users"] == 3  # never re-sent: settled by a look-up
    paths = [e["path"] for e in emu.requests()["entries"]]
    assert all("userName" not in p and "emails" not in p for p in paths)


def test_r17_foreign_address_fails_one_create_and_the_next_goes_on(emu: Emu) -> None:
    emu.seed(foreign_accounts=["owned@elsewhere.test"])

    async def create_both(client: ScimClient) -> tuple[str, str]:
        with pytest.raises(ForeignAccountConflict) as info:
            await client.create_user(email="owned@elsewhere.test", display_name="O", active=True)
        ok = await client.create_user(email="fine@example.test", display_name="F", active=True)
        return str(info.value), ok

    message, ok = run(emu.base_url, create_both)
    assert "outside the company" in message
    assert [u["id"] for u in emu.state()["users"]] == [ok]


def test_dropped_answers_on_group_writes_are_settled(emu: Emu) -> None:
    emu.seed(users=[{"userName": f"m{i}@example.test", "displayName": f"M {i}"} for i in range(4)])
    uids = [u["id"] for u in emu.state()["users"]]
    emu.set_faults(drop_rate=1.0)

    def heal_after_a_dropped_patch(record: RequestRecord) -> None:
        # A PATCH is idempotent: it is simply re-sent, so let the second one be answered.
        if record.method == "PATCH" and record.status is None:
            emu.set_faults(drop_rate=0.0)

    async def lifecycle(client: ScimClient) -> str:
        gid = await client.create_group(name="Ops", member_ids=uids[:2])  # settled by name
        await client.patch_group(
            group_id=gid, rename="Ops 2", add_ids=uids[2:], remove_ids=uids[:1]
        )
        return gid

    gid = run(emu.base_url, lifecycle, on_request=heal_after_a_dropped_patch)
    groups = emu.state()["groups"]
    assert groups == [{"id": gid, "displayName": "Ops 2", "externalId": None, "members": uids[1:]}]
    emu.set_faults(drop_rate=1.0)
    run(emu.base_url, lambda c: c.delete_group(group_id=gid))  # 404 on the retry = done
    emu.set_faults(drop_rate=0.0)
    assert emu.state()["groups"] == []
    counts = emu.requests()["counts"]
    assert counts["POST /scim/v2/Groups"] == 1
    assert counts["PATCH /scim/v2/Groups/{id}"] == 2
    # The emulator cannot drop a 204 (it has no body to cut short), so 1 or 2 DELETEs.
    assert counts["DELETE /scim/v2/Groups/{id}"] in (1, 2)


def test_member_changes_past_the_service_limit_are_chunked(emu_factory: object) -> None:
    emu: Emu = emu_factory(max_patch_operations=10)  # type: ignore[operator]  # fixture factory
    emu.seed(users=[{"userName": f"m{i}@example.test", "displayName": f"M {i}"} for i in range(25)])
    uids = [u["id"] for u in emu.state()["users"]]

    async def build(client: ScimClient) -> str:
        gid = await client.create_group(name="Big", member_ids=uids)
        await client.patch_group(group_id=gid, remove_ids=uids[:12])
        return gid

    gid = run(emu.base_url, build, patch_limits=PatchLimits(max_operations=10))
    assert emu.state()["groups"][0]["members"] == uids[12:]
    counts = emu.requests()["counts"]
    assert counts["POST /scim/v2/Groups"] == 1
    assert counts["PATCH /scim/v2/Groups/{id}"] == 2 + 2  # 15 more adds, then 12 removals
    live = run(emu.base_url, fetch_live)
    assert live.groups_by_id[gid].member_ids == frozenset(uids[12:])


def test_wrong_token_and_missing_scope_are_typed(emu: Emu) -> None:
    with pytest.raises(Unauthorized, match="TEAMVIEWER_TOKEN"):
        run(emu.base_url, fetch_live, token="not-the-token")
    emu.seed(users=[{"userName": "a@example.test", "displayName": "A"}])
    uid = emu.state()["users"][0]["id"]
    with pytest.raises(Forbidden, match="scope"):
        run(emu.base_url, lambda c: c.update_user(user_id=uid, active=False), token=READ_TOKEN)
    # the read-only token still reads
    assert len(run(emu.base_url, fetch_live, token=READ_TOKEN).users) == 1


def test_concurrent_creates_are_bounded_and_all_land(emu: Emu) -> None:
    async def many(client: ScimClient) -> list[str]:
        return await asyncio.gather(
            *(
                client.create_user(email=f"c{i}@example.test", display_name=f"C {i}", active=True)
                for i in range(30)
            )
        )

    ids = run(emu.base_url, many, max_concurrency=4)
    assert len(set(ids)) == 30
    assert emu.requests()["counts"] == {"POST /scim/v2/Users": 30}
