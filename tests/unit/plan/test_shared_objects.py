"""The planner's input contract ("Shared objects" in reconcile/plan/planner.py): group
members are the very key / id objects of their users, however a state is built. Speed
depends on it (member look-ups compare pointers), results never do."""

from __future__ import annotations

import json
from pathlib import Path

from reconcile.desired.loader import load_desired
from reconcile.desired.model import Desired
from reconcile.live.model import Live
from reconcile.live.snapshot import read_snapshot, write_snapshot
from reconcile.live.wire import GroupResource, UserResource

REPO = Path(__file__).resolve().parents[3]


def _desired_members_are_user_keys(desired: Desired) -> bool:
    keys = {id(key) for key in desired.users}
    return all(id(m) in keys for g in desired.groups.values() for m in g.members)


def _live_members_are_user_ids(live: Live) -> bool:
    ids = {id(user.id) for user in live.users}
    return all(id(m) in ids for g in live.groups for m in g.member_ids)


def test_the_loader_hands_the_planner_its_users_own_key_objects(tmp_path: Path) -> None:
    # Upper case and spaces: the member text is re-keyed, and must still end up shared.
    (tmp_path / "a.yaml").write_text(
        "users:\n"
        "  - {email: Jane.Doe@Example.test, first_name: J, last_name: D}\n"
        "  - {email: omar@example.test, first_name: O, last_name: H}\n"
        "groups:\n"
        "  eng: {name: Eng, members: [' JANE.doe@example.test', omar@example.test]}\n"
        "  ops: {name: Ops, members: [jane.doe@EXAMPLE.test]}\n",
        encoding="utf-8",
    )
    loaded = load_desired(tmp_path).desired
    assert sum(len(g.members) for g in loaded.groups.values()) == 3
    assert _desired_members_are_user_keys(loaded)
    assert _desired_members_are_user_keys(load_desired(REPO / "desired_state").desired)


def _answers() -> tuple[list[UserResource], list[GroupResource]]:
    # Through json.loads, as the client reads them: every string a fresh object.
    users = json.loads(
        json.dumps([{"id": f"u{i}", "userName": f"p{i}@x.test", "active": True} for i in range(5)])
    )
    groups = json.loads(
        json.dumps(
            [{"id": "g1", "displayName": "G", "members": [{"value": "u1"}, {"value": "u3"}]}]
        )
    )
    return (
        [UserResource.model_validate(u) for u in users],
        [GroupResource.model_validate(g) for g in groups],
    )


def test_the_fetch_parsing_hands_the_planner_shared_member_ids() -> None:
    users, groups = _answers()
    live = Live.build(users=[u.to_live() for u in users], groups=[g.to_live() for g in groups])
    assert len(next(iter(live.groups)).member_ids) == 2
    assert _live_members_are_user_ids(live)


def test_a_snapshot_read_back_hands_the_planner_shared_member_ids(tmp_path: Path) -> None:
    users, groups = _answers()
    live = Live.build(users=[u.to_live() for u in users], groups=[g.to_live() for g in groups])
    path = tmp_path / "live.json"
    write_snapshot(live, path, target_label="test")
    again = read_snapshot(path).live
    assert again == live
    assert _live_members_are_user_ids(again)


def test_the_check_can_fail() -> None:
    from reconcile.live.model import LiveGroup, LiveUser

    fresh = "".join(["u", "1"])  # a new object equal to an existing id
    live = Live.build(users=[LiveUser("u1", "a@x.test", "A", True)])
    other = Live.build(users=live.users, groups=[LiveGroup("g", "G", frozenset({fresh}))])
    assert fresh == "u1"
    assert fresh is not other.users[0].id
    assert not _live_members_are_user_ids(other)
