"""The plan's JSON contract (format_version 1): shape, stability, strict reading."""

from __future__ import annotations

import json

import pytest

from reconcile.desired.model import UnmanagedUsers
from reconcile.plan import FORMAT_VERSION, Plan, PlanFileError, Policy, plan
from reconcile.plan.wire import plan_from_json, plan_to_json
from tests.unit.plan.builders import desired, dg, du, lg, live, lu


def sample_plan() -> Plan:
    d = desired(
        [
            du("new@x.test", "New Person", language="fr"),
            du("Back@X.test", "Back"),
            du("leaver@x.test"),
            du("renamed@x.test", "Right Name"),
        ],
        [
            dg(
                "eng",
                "Engineering",
                ["new@x.test", "back@x.test", "renamed@x.test"],
                renamed_from=("Eng",),
            ),
            dg("fresh", "Fresh", ["new@x.test"]),
            dg("old", "Old", ["leaver@x.test"], deleted=True),
            dg("interns", "Interns"),
        ],
        unmanaged=UnmanagedUsers.DEACTIVATE,
    )
    state = live(
        [
            lu("u1", "back@x.test", "Back", active=False),
            lu("u2", "leaver@x.test"),
            lu("u3", "renamed@x.test", "Wrong Name"),
            lu("u4", "stray@x.test"),
        ],
        [lg("g1", "Eng", ["u2", "u3"]), lg("g2", "Old", ["u2"]), lg("g3", "Board", ["u4"])],
    )
    return plan(d, state, Policy(target="https://scim.example.test/v2"))


def test_json_has_the_documented_top_level_shape() -> None:
    doc = json.loads(plan_to_json(sample_plan()))
    assert set(doc) == {
        "format_version",
        "target",
        "live_fingerprint",
        "desired_fingerprint",
        "operations",
        "notices",
        "summary",
        "safety",
        "consequences",
    }
    assert doc["format_version"] == FORMAT_VERSION == 1
    assert doc["target"] == "https://scim.example.test/v2"
    assert set(doc["safety"]) == {
        "max_deactivations",
        "max_deactivation_percent",
        "max_group_deletions",
        "max_removals_per_group",
        "max_removal_percent_per_group",
        "empty_desired",
    }
    assert all(set(g) == {"value", "limit", "passes", "detail"} for g in doc["safety"].values())
    assert doc["summary"] == {
        "create_user": 1,
        "update_user": 4,
        "create_group": 1,
        "update_group": 1,
        "delete_group": 1,
        "deactivations": 2,
        "reactivations": 1,
        "total": 8,
    }


def test_json_operations_carry_resource_ids_changes_phase_and_reasons() -> None:
    ops = json.loads(plan_to_json(sample_plan()))["operations"]
    by_action: dict[str, list[dict]] = {}
    for op in ops:
        by_action.setdefault(op["action"], []).append(op)
        assert op["reasons"]
        assert op["phase"]
    (create_user,) = by_action["create_user"]
    assert create_user["email"] == "new@x.test"
    assert create_user["language"] == "fr"
    assert "id" not in create_user
    updates = {op["email"]: op for op in by_action["update_user"]}
    assert updates["Back@X.test"]["changes"] == {"active": [False, True]}
    assert updates["Back@X.test"]["phase"] == "update_users"
    assert updates["renamed@x.test"]["changes"] == {"display_name": ["Wrong Name", "Right Name"]}
    assert updates["leaver@x.test"]["phase"] == "deactivate_users"
    assert updates["stray@x.test"]["changes"] == {"active": [True, False]}
    (update_group,) = by_action["update_group"]
    assert update_group["rename"] == ["Eng", "Engineering"]
    assert update_group["add_members"] == ["Back@X.test", "new@x.test"]
    assert update_group["remove_members"] == ["leaver@x.test"]
    assert update_group["user_ids"] == {"Back@X.test": "u1", "leaver@x.test": "u2"}
    (create_group,) = by_action["create_group"]
    assert (create_group["key"], create_group["members"]) == ("fresh", ["new@x.test"])
    (delete_group,) = by_action["delete_group"]
    assert (delete_group["id"], delete_group["name"]) == ("g2", "Old")
    assert [op["phase"] for op in ops] == [
        "create_users",
        "update_users",
        "update_users",
        "groups",
        "groups",
        "deactivate_users",
        "deactivate_users",
        "delete_groups",
    ]


def test_json_round_trips_to_an_equal_plan() -> None:
    original = sample_plan()
    text = plan_to_json(original)
    again = plan_from_json(text)
    assert again == original
    assert plan_to_json(again) == text
    assert plan_from_json(text.encode()) == original


def _mutated(change) -> str:
    doc = json.loads(plan_to_json(sample_plan()))
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(format_version=2), "format_version is 2"),
        (lambda d: d.pop("format_version"), "format_version is None"),
        (lambda d: d.update(format_version=True), "format_version is True"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d.pop("safety"), "safety"),
        (lambda d: d["operations"][0].update(action="delete_user"), "action"),
        (lambda d: d["operations"][0].update(phase="groups"), "phase"),
        (lambda d: d["operations"][1].update(phase="deactivate_users"), "phase must be"),
        (lambda d: d["operations"][1]["changes"].clear(), "changes"),
        (lambda d: d["operations"][4].update(unknown=[]), "unknown"),
        (lambda d: d["operations"].reverse(), "phase order"),
        (lambda d: d["summary"].update(total=1), "summary does not match"),
        (lambda d: d.update(live_fingerprint="abc"), "live_fingerprint"),
        (lambda d: d["safety"]["max_deactivations"].update(passes="yes"), "passes"),
    ],
)
def test_from_json_rejects_anything_off_contract(change, expected: str) -> None:
    with pytest.raises(PlanFileError, match=expected) as caught:
        plan_from_json(_mutated(change))
    assert "reconcile plan --out" in str(caught.value)


def test_from_json_rejects_non_json() -> None:
    with pytest.raises(PlanFileError, match="not JSON"):
        plan_from_json("{not json")
    with pytest.raises(PlanFileError, match="format_version"):
        plan_from_json("[]")


def test_json_is_byte_identical_for_shuffled_inputs() -> None:
    users = [du(f"user{i}@x.test", f"User {i}") for i in range(6)]
    groups = [
        dg("a", "A", ["user0@x.test", "user1@x.test", "user2@x.test"]),
        dg("b", "B", ["user3@x.test", "user1@x.test"]),
        dg("c", "C", ["user4@x.test"], deleted=True),
    ]
    live_users = [lu(f"id{i}", f"user{i}@x.test", f"Old {i}", active=i % 2 == 0) for i in range(5)]
    live_groups = [lg("g1", "A", ["id4", "id0"]), lg("g2", "C", ["id4"]), lg("g3", "Z", ["id1"])]
    from reconcile.live.model import Live

    forward = plan(desired(users, groups), Live(users=tuple(live_users), groups=tuple(live_groups)))
    backward = plan(
        desired(
            users[::-1],
            [
                dg(g.key, g.name, list(reversed(g.members)), deleted=not g.present)
                for g in reversed(groups)
            ],
        ),
        Live(users=tuple(reversed(live_users)), groups=tuple(reversed(live_groups))),
    )
    assert forward.operations
    assert plan_to_json(forward) == plan_to_json(backward)
