"""Interoperability: the same client, profile rfc7644, against scim2-server (third party).

scim2-server answers PATCH with 204 and no body, orders lists by id and does not check
member references; the client must not depend on any of that.
"""

from __future__ import annotations

import pytest

from reconcile.live.client import ScimClient
from reconcile.live.fetch import fetch_live
from reconcile.live.model import Live, LiveGroup, LiveUser
from reconcile.live.profiles import Profile
from tests.integration.live.conftest import Scim2Server
from tests.integration.live.helpers import run

pytestmark = pytest.mark.integration


def live_from_dump(server: Scim2Server) -> Live:
    users, groups = [], []
    for r in server.dump():
        if "userName" in r:
            users.append(
                LiveUser(
                    id=r["id"],
                    email=r["userName"],
                    display_name=r.get("displayName") or "",
                    active=r.get("active", True),
                )
            )
        else:
            groups.append(
                LiveGroup(
                    id=r["id"],
                    name=r["displayName"],
                    member_ids=frozenset(m["value"] for m in r.get("members") or ()),
                )
            )
    return Live.build(users=users, groups=groups)


def test_round_trips_against_scim2_server(scim2_server: Scim2Server) -> None:
    async def scenario(client: ScimClient) -> tuple[list[str], str]:
        ids = [
            await client.create_user(
                email=f"person{i}@example.test", display_name=f"Person {i}", active=True
            )
            for i in range(25)
        ]
        await client.update_user(user_id=ids[0], display_name="Renamed", active=False)
        gid = await client.create_group(name="Team", member_ids=ids[:3])
        await client.patch_group(
            group_id=gid, rename="Team 2", add_ids=ids[3:5], remove_ids=ids[:1]
        )
        doomed = await client.create_group(name="Doomed", member_ids=ids[5:6])
        await client.delete_group(group_id=doomed)
        return ids, gid

    ids, gid = run(scim2_server.base_url, scenario, profile=Profile.RFC7644)
    live = run(scim2_server.base_url, fetch_live, profile=Profile.RFC7644, page_size=10)
    # identical to the server's own dump
    assert live == live_from_dump(scim2_server)
    assert len(live.users) == 25
    first = live.users_by_id[ids[0]]
    assert (first.display_name, first.active) == ("Renamed", False)
    assert [(g.id, g.name, g.member_ids) for g in live.groups] == [
        (gid, "Team 2", frozenset(ids[1:5]))
    ]


def test_r17_lost_answer_lookup_uses_the_username_filter_on_rfc7644(
    scim2_server: Scim2Server,
) -> None:
    async def scenario(client: ScimClient) -> tuple[str, str | None]:
        uid = await client.create_user(email="Dup@Example.test", display_name="D", active=True)
        found = await client.find_user(email="dup@example.TEST")
        return uid, None if found is None else found.id

    uid, found = run(scim2_server.base_url, scenario, profile=Profile.RFC7644)
    assert found == uid


def test_a_create_conflict_on_scim2_server_is_typed(scim2_server: Scim2Server) -> None:
    from reconcile.live.errors import Conflict

    async def scenario(client: ScimClient) -> None:
        await client.create_user(email="same@example.test", display_name="S", active=True)
        await client.create_user(email="same@example.test", display_name="S", active=True)

    with pytest.raises(Conflict, match="already exists in the company"):
        run(scim2_server.base_url, scenario, profile=Profile.RFC7644)
