"""R24 expiry in the pure planner: the time comes in through Policy(now=...)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from reconcile.desired.expiry import parse_expires
from reconcile.desired.model import Desired, DesiredGroup, DesiredUser, Expiry, Safety
from reconcile.live.model import Live
from reconcile.plan import (
    CreateUser,
    Gate,
    NoticeKind,
    Plan,
    Policy,
    UpdateGroup,
    UpdateUser,
    plan,
)
from reconcile.plan.expiry import expiry_operations, only_expired
from reconcile.plan.wire import plan_from_json, plan_to_json
from tests.unit.plan.builders import apply_plan, desired, dg, du, lg, live, lu

END_OF_MARCH = "2027-03-31"
LAST_SECOND = datetime(2027, 3, 31, 23, 59, 59, tzinfo=UTC)
NEXT_DAY = datetime(2027, 4, 1, tzinfo=UTC)


def expiring(group: DesiredGroup, **members: str) -> DesiredGroup:
    """`group` with `{email: expires}` members (keyword: local part at x.test)."""
    expiries = {}
    for local, text in members.items():
        at, written = parse_expires(text)
        expiries[f"{local}@x.test"] = Expiry(at, written)
    return replace(group, expiries=MappingProxyType(expiries))


def user_expiring(user: DesiredUser, text: str) -> DesiredUser:
    at, written = parse_expires(text)
    return replace(user, expires=Expiry(at, written))


def support_and_eng() -> tuple[Desired, Live]:
    """sam is only in support (temporarily), ann is in support (temporarily) and eng."""
    d = desired(
        [du("sam@x.test"), du("ann@x.test")],
        [
            expiring(dg("support", "Support", ["sam@x.test", "ann@x.test"]), sam=END_OF_MARCH,
                     ann=END_OF_MARCH),
            dg("eng", "Eng", ["ann@x.test"]),
        ],
    )  # fmt: skip
    state = live(
        [lu("u1", "sam@x.test"), lu("u2", "ann@x.test")],
        [lg("g1", "Support", ["u1", "u2"]), lg("g2", "Eng", ["u2"])],
    )
    return d, state


def at(now: datetime, d: Desired, state: Live) -> Plan:
    return plan(d, state, Policy(target="t", now=now))


def test_r24_a_date_lasts_through_the_end_of_that_day_utc() -> None:
    d, state = support_and_eng()
    assert not at(LAST_SECOND, d, state).has_changes
    assert at(NEXT_DAY, d, state).has_changes


def test_r24_expired_membership_is_removed_and_the_lone_user_deactivated() -> None:
    d, state = support_and_eng()
    p = at(NEXT_DAY, d, state)
    (group,) = [op for op in p.operations if isinstance(op, UpdateGroup)]
    assert group.key == "support"
    assert [m.email for m in group.remove_members] == ["ann@x.test", "sam@x.test"]
    assert "sam@x.test: membership expired 2027-03-31 (R24)" in group.reasons
    assert not any("(R12)" in reason for reason in group.reasons)
    (deactivation,) = [op for op in p.operations if isinstance(op, UpdateUser)]
    assert deactivation.email == "sam@x.test"
    assert deactivation.is_deactivation
    assert "membership of Support expired 2027-03-31 (R24)" in deactivation.reasons[0]


def test_r24_r5_a_user_with_another_unexpired_present_group_stays_active() -> None:
    d, state = support_and_eng()
    p = at(NEXT_DAY, d, state)
    assert not [op for op in p.operations if isinstance(op, UpdateUser) and op.key == "ann@x.test"]


def test_r24_a_users_own_expiry_ends_all_of_their_access() -> None:
    d, state = support_and_eng()
    d = Desired.build(
        tenant=d.tenant,
        users=[d.users["sam@x.test"], user_expiring(d.users["ann@x.test"], "2027-02-01")],
        groups=[dg("support", "Support", ["sam@x.test", "ann@x.test"]), d.groups["eng"]],
    )
    p = at(datetime(2027, 2, 2, tzinfo=UTC), d, state)
    removed = {(op.key, m.email) for op in p.operations if isinstance(op, UpdateGroup)
               for m in op.remove_members}  # fmt: skip
    assert removed == {("support", "ann@x.test"), ("eng", "ann@x.test")}
    (deactivation,) = [op for op in p.operations if isinstance(op, UpdateUser)]
    assert deactivation.key == "ann@x.test"
    assert deactivation.reasons[0].startswith("access expired 2027-02-01 (R24)")


def test_r24_a_timestamp_with_an_offset_is_exact() -> None:
    d, state = support_and_eng()
    exact = "2027-03-31T10:00:00+02:00"  # 08:00 UTC
    d = Desired.build(
        tenant=d.tenant,
        users=list(d.users.values()),
        groups=[expiring(dg("support", "Support", ["sam@x.test", "ann@x.test"]), sam=exact),
                d.groups["eng"]],
    )  # fmt: skip
    assert not at(datetime(2027, 3, 31, 7, 59, 59, tzinfo=UTC), d, state).has_changes
    p = at(datetime(2027, 3, 31, 8, tzinfo=UTC), d, state)
    assert f"sam@x.test: membership expired {exact} (R24)" in p.operations[0].reasons


def test_r24_an_expired_member_missing_live_is_not_created() -> None:
    d = desired([du("new@x.test")], [expiring(dg("g", "G", ["new@x.test"]), new="2027-01-01")])
    p = at(NEXT_DAY, d, live())
    assert not [op for op in p.operations if isinstance(op, CreateUser)]
    assert before_expiry_creates(d)


def before_expiry_creates(d: Desired) -> bool:
    p = at(datetime(2026, 12, 1, tzinfo=UTC), d, live())
    return any(isinstance(op, CreateUser) for op in p.operations)


def test_r24_r22_the_plan_after_applying_an_expiry_is_empty() -> None:
    d, state = support_and_eng()
    after = apply_plan(state, at(NEXT_DAY, d, state))
    assert not at(NEXT_DAY, d, after).has_changes
    assert not at(NEXT_DAY + timedelta(days=30), d, after).has_changes


@pytest.mark.parametrize(
    ("now", "announced"),
    [
        (datetime(2027, 3, 25, tzinfo=UTC), True),  # 7 days ahead: within the default
        (datetime(2027, 3, 24, 23, 59, tzinfo=UTC), False),  # just over 7 days ahead
        (NEXT_DAY, False),  # passed: an operation, not a notice
    ],
)
def test_r24_plans_announce_expiries_within_the_warning_days(
    now: datetime, announced: bool
) -> None:
    d, state = support_and_eng()
    notices = at(now, d, state).notices_of(NoticeKind.EXPIRING)
    assert bool(notices) is announced
    if announced:
        assert {n.subject for n in notices} == {"sam@x.test", "ann@x.test"}
        assert all("expires 2027-03-31 (in 7 days" in n.message for n in notices)


def test_r24_the_warning_window_follows_tenant_expiry_warning_days() -> None:
    d, state = support_and_eng()
    d = replace(d, tenant=replace(d.tenant, expiry_warning_days=30))
    assert at(datetime(2027, 3, 5, tzinfo=UTC), d, state).notices_of(NoticeKind.EXPIRING)


def test_r24_the_json_plan_records_now_and_what_expired() -> None:
    d, state = support_and_eng()
    p = at(NEXT_DAY, d, state)
    doc = json.loads(plan_to_json(p))
    assert doc["now"] == "2027-04-01T00:00:00+00:00"
    assert {(e["email"], e["group"], e["expires"]) for e in doc["expired"]} == {
        ("sam@x.test", "support", END_OF_MARCH),
        ("ann@x.test", "support", END_OF_MARCH),
    }
    back = plan_from_json(plan_to_json(p))
    assert back.now == NEXT_DAY
    assert back.expired == p.expired
    assert expiry_operations(back) == expiry_operations(p)


def test_r24_without_a_time_nothing_expires_and_the_plan_says_so() -> None:
    d, state = support_and_eng()
    p = plan(d, state)
    assert not p.has_changes
    (notice,) = p.notices_of(NoticeKind.EXPIRING)
    assert "planned without a time" in notice.message
    assert "now" not in json.loads(plan_to_json(p))


def test_r24_only_expired_keeps_expiry_and_drops_every_other_change() -> None:
    d, state = support_and_eng()
    # Pending reviewed changes besides the expiry: a rename of Support, a new member, a
    # new user, and a changed display name for sam.
    d = Desired.build(
        tenant=d.tenant,
        users=[replace(d.users["sam@x.test"], display_name="Sam New"), d.users["ann@x.test"],
               du("new@x.test")],
        groups=[replace(d.groups["support"], name="Customer Support", renamed_from=("Support",),
                        members=("ann@x.test", "new@x.test", "sam@x.test")),
                d.groups["eng"]],
    )  # fmt: skip
    full = at(NEXT_DAY, d, state)
    assert len(full.operations) == 3  # create new; update support; rename+deactivate sam
    cut = only_expired(full, desired=d, live=state)
    (group, user) = cut.operations
    assert isinstance(group, UpdateGroup)
    assert isinstance(user, UpdateUser)
    assert group.rename is None
    assert group.name == "Support"
    assert not group.add_members
    assert {m.email for m in group.remove_members} == {"sam@x.test", "ann@x.test"}
    assert user.email == "sam@x.test"
    assert user.is_deactivation
    assert user.display_name is None
    assert all("(R24)" in reason for op in cut.operations for reason in op.reasons)
    (left,) = cut.notices_of(NoticeKind.LEFT_PENDING)
    assert (
        "left for the reviewed apply: 1 other operation and the other parts of 2 operations"
        in left.message
    )
    # What is left is exactly the reviewed change once the expiry is applied.
    rest = at(NEXT_DAY, d, apply_plan(state, cut))
    assert {type(op).__name__ for op in rest.operations} == {"CreateUser", "UpdateGroup",
                                                              "UpdateUser"}  # fmt: skip
    assert not expiry_operations(rest)


def test_r24_r20_only_expired_gates_judge_the_cut_down_plan() -> None:
    d, state = support_and_eng()
    d = replace(d, tenant=replace(d.tenant, safety=Safety(max_deactivations=0)))
    cut = only_expired(at(NEXT_DAY, d, state), desired=d, live=state)
    assert not cut.gate(Gate.MAX_DEACTIVATIONS).passes  # sam's deactivation counts
    quiet = only_expired(at(LAST_SECOND, d, state), desired=d, live=state)
    assert not quiet.operations
    assert quiet.passes_safety


def test_r24_only_expired_of_a_plan_without_expiries_is_empty() -> None:
    d = desired([du("a@x.test")], [dg("g", "G", ["a@x.test"])])
    full = at(NEXT_DAY, d, live())
    assert full.has_changes
    assert not only_expired(full, desired=d, live=live()).operations


def test_r24_an_expired_member_missing_live_is_told_why_it_is_not_created() -> None:
    d = desired([du("new@x.test")], [expiring(dg("g", "G", ["new@x.test"]), new="2027-01-01")])
    (notice,) = at(NEXT_DAY, d, live()).notices_of(NoticeKind.UNBOUND_USER)
    assert (
        notice.message == "new@x.test: membership of G expired 2027-01-01 (R24): not created (R2)"
    )


def test_r24_the_drift_report_lists_expiries_ahead_without_counting_them_as_drift() -> None:
    from reconcile.plan.render.drift import Drift, render_drift_json, render_drift_text

    d, state = support_and_eng()
    report = Drift.of(at(datetime(2027, 3, 28, tzinfo=UTC), d, state))
    assert not report.exists
    assert "Expiring soon (2):" in render_drift_text(report)
    doc = json.loads(render_drift_json(report))
    assert doc["drift"] is False
    assert doc["now"] == "2027-03-28T00:00:00+00:00"
    assert sorted(e["email"] for e in doc["expiring"]) == ["ann@x.test", "sam@x.test"]
