"""One named scenario per DESIGN.md rule (R1-R16, R18-R22) for the pure planner."""

from __future__ import annotations

import pytest

from reconcile.desired.model import Safety, Tenant, UnmanagedUsers
from reconcile.live.model import Live
from reconcile.plan import (
    Action,
    CreateGroup,
    CreateUser,
    DeleteGroup,
    Gate,
    NoticeKind,
    Phase,
    Plan,
    PlanningError,
    Policy,
    UpdateGroup,
    UpdateUser,
    desired_fingerprint,
    live_fingerprint,
    plan,
)
from reconcile.plan.wire import plan_to_json
from tests.unit.plan.builders import apply_plan, desired, dg, du, lg, live, lu


def ops_of(p: Plan, kind: type) -> list:
    return [op for op in p.operations if isinstance(op, kind)]


def only(p: Plan, kind: type):
    found = ops_of(p, kind)
    assert len(found) == 1, found
    return found[0]


def converge(d, state: Live) -> Live:
    after = apply_plan(state, plan(d, state))
    assert plan(d, after).operations == ()
    return after


# -- R1 identity --------------------------------------------------------------------------


def test_r1_email_identity_is_case_insensitive_and_trimmed() -> None:
    d = desired(
        [du("  Jane.Doe@Example.TEST ", "Jane Doe")], [dg("eng", "Eng", ["JANE.doe@example.test"])]
    )
    state = live([lu("u1", "jane.doe@example.test", "Jane Doe")], [lg("g1", "Eng", ["u1"])])
    assert plan(d, state).operations == ()


def test_r1_mixed_case_live_member_is_not_removed_and_re_added() -> None:
    d = desired([du("a@x.test", "A")], [dg("eng", "Eng", ["a@x.test"])])
    state = live([lu("u1", "A@X.TEST", "A")], [lg("g1", "Eng", [])])
    op = only(plan(d, state), UpdateGroup)
    assert [(m.email, m.id) for m in op.add_members] == [("a@x.test", "u1")]
    assert op.remove_members == ()


# -- R2 binding ---------------------------------------------------------------------------


def test_r2_only_bound_users_are_created() -> None:
    d = desired(
        [du("bound@x.test"), du("loose@x.test"), du("gone@x.test")],
        [dg("eng", "Eng", ["bound@x.test"]), dg("old", "Old", ["gone@x.test"], deleted=True)],
    )
    p = plan(d, live())
    assert [op.email for op in ops_of(p, CreateUser)] == ["bound@x.test"]
    assert {n.subject for n in p.notices_of(NoticeKind.UNBOUND_USER)} == {
        "loose@x.test",
        "gone@x.test",
    }
    assert "Eng" in only(p, CreateUser).reasons[0]


# -- R3 activity --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "why"), [({"suspended": True}, "suspended"), ({"expired": True}, "password expired")]
)
def test_r3_suspended_or_expired_bound_user_is_deactivated(flags: dict, why: str) -> None:
    d = desired([du("a@x.test", "A", **flags)], [dg("eng", "Eng", ["a@x.test"])])
    state = live([lu("u1", "a@x.test", "A")], [lg("g1", "Eng", ["u1"])])
    p = plan(d, state)
    op = only(p, UpdateUser)
    assert op.active == (True, False)
    assert op.phase is Phase.DEACTIVATE_USERS
    assert why in op.reasons[0]
    # Still a member (R12: it exists), just inactive.
    assert ops_of(p, UpdateGroup) == []


def test_r3_inactive_bound_user_missing_live_is_not_created_nor_added() -> None:
    d = desired(
        [du("a@x.test", "A"), du("s@x.test", "S", suspended=True)],
        [dg("eng", "Eng", ["a@x.test", "s@x.test"])],
    )
    p = plan(d, live())
    assert [op.email for op in ops_of(p, CreateUser)] == ["a@x.test"]
    assert [m.email for m in only(p, CreateGroup).members] == ["a@x.test"]
    assert [n.subject for n in p.notices_of(NoticeKind.SKIPPED_INACTIVE_USER)] == ["s@x.test"]


def test_r3_declared_unbound_live_user_is_deactivated() -> None:
    d = desired([du("a@x.test", "A")], [])
    p = plan(d, live([lu("u1", "a@x.test", "A")]))
    op = only(p, UpdateUser)
    assert op.is_deactivation
    assert "not a member of any present group" in op.reasons[0]


def test_r3_reactivation_when_suspension_clears() -> None:
    d = desired([du("a@x.test", "A")], [dg("eng", "Eng", ["a@x.test"])])
    state = live([lu("u1", "a@x.test", "A", active=False)], [lg("g1", "Eng", ["u1"])])
    p = plan(d, state)
    op = only(p, UpdateUser)
    assert op.active == (False, True)
    assert op.is_reactivation
    assert op.phase is Phase.UPDATE_USERS
    assert p.summary.reactivations == 1
    assert p.summary.deactivations == 0


# -- R4 no user deletes -------------------------------------------------------------------


def test_r4_removing_everything_only_deactivates_users() -> None:
    state = live(
        [lu("u1", "a@x.test"), lu("u2", "b@x.test")],
        [lg("g1", "Eng", ["u1", "u2"])],
    )
    d = desired([du("a@x.test"), du("b@x.test")], [dg("eng", "Eng", deleted=True)])
    p = plan(d, state)
    assert {op.action for op in p.operations} == {Action.UPDATE_USER, Action.DELETE_GROUP}
    assert all(op.is_deactivation for op in ops_of(p, UpdateUser))
    assert "delete_user" not in {a.value for a in Action}
    after = apply_plan(state, p)
    assert {u.id for u in after.users} == {"u1", "u2"}


# -- R5 other groups keep users -----------------------------------------------------------


def test_r5_leaving_one_group_keeps_user_bound_by_another() -> None:
    d = desired(
        [du("a@x.test", "A")],
        [
            dg("eng", "Eng", []),
            dg("ops", "Ops", ["a@x.test"]),
            dg("old", "Old", ["a@x.test"], deleted=True),
        ],
    )
    state = live(
        [lu("u1", "a@x.test", "A")],
        [lg("g1", "Eng", ["u1"]), lg("g2", "Ops", ["u1"]), lg("g3", "Old", ["u1"])],
    )
    p = plan(d, state)
    assert ops_of(p, UpdateUser) == []
    assert [m.email for m in only(p, UpdateGroup).remove_members] == ["a@x.test"]
    assert only(p, DeleteGroup).id == "g3"


def test_r5_dropping_a_group_deactivates_members_without_another_group() -> None:
    d = desired([du("a@x.test", "A"), du("b@x.test", "B")], [dg("ops", "Ops", ["b@x.test"])])
    state = live(
        [lu("u1", "a@x.test", "A"), lu("u2", "b@x.test", "B")],
        [lg("g1", "Contractors", ["u1", "u2"]), lg("g2", "Ops", ["u2"])],
    )
    p = plan(d, state)
    op = only(p, UpdateUser)
    assert (op.email, op.active) == ("a@x.test", (True, False))
    assert "Contractors is no longer declared" in op.reasons[0]
    # The dropped group itself is left as it is (R10).
    assert [n.subject for n in p.notices_of(NoticeKind.UNMANAGED_GROUP)] == ["Contractors"]


def test_r5_reason_names_the_group_left() -> None:
    d = desired([du("a@x.test", "A")], [dg("eng", "Engineering", [])])
    state = live([lu("u1", "a@x.test", "A")], [lg("g1", "Engineering", ["u1"])])
    op = only(plan(d, state), UpdateUser)
    assert op.reasons == ("no longer in any present group (R5): left Engineering",)


# -- R6 empty groups ----------------------------------------------------------------------


def test_r6_empty_present_group_is_not_created() -> None:
    d = desired(
        [du("s@x.test", suspended=True)],
        [dg("interns", "Interns"), dg("idle", "Idle", ["s@x.test"])],
    )
    p = plan(d, live())
    assert ops_of(p, CreateGroup) == []
    assert [n.subject for n in p.notices_of(NoticeKind.SKIPPED_EMPTY_GROUP)] == ["idle", "interns"]


def test_r6_existing_managed_group_is_emptied_not_deleted() -> None:
    d = desired([du("a@x.test")], [dg("eng", "Eng", [])])
    state = live([lu("u1", "a@x.test")], [lg("g1", "Eng", ["u1"])])
    p = plan(d, state)
    assert ops_of(p, DeleteGroup) == []
    assert [m.id for m in only(p, UpdateGroup).remove_members] == ["u1"]


# -- R7 take-over -------------------------------------------------------------------------


def test_r7_match_by_pinned_id_wins_over_name() -> None:
    d = desired([du("a@x.test")], [dg("eng", "Eng", ["a@x.test"], id="g2")])
    state = live([lu("u1", "a@x.test")], [lg("g1", "Eng", []), lg("g2", "Eng", [])])
    p = plan(d, state)  # two live "Eng" groups, but the pin resolves the ambiguity
    op = only(p, UpdateGroup)
    assert (op.id, op.rename, [m.id for m in op.add_members]) == ("g2", None, ["u1"])
    assert "pinned by id" in op.reasons[0]
    (notice,) = p.notices_of(NoticeKind.UNMANAGED_GROUP)
    assert "g1" in notice.message


def test_r7_pinned_id_renames_the_live_group() -> None:
    d = desired([du("a@x.test")], [dg("eng", "Eng", ["a@x.test"], id="g2")])
    state = live([lu("u1", "a@x.test")], [lg("g2", "Engineering", ["u1"])])
    op = only(plan(d, state), UpdateGroup)
    assert (op.id, op.rename) == ("g2", ("Engineering", "Eng"))


def test_r7_match_by_name_takes_the_live_group_over() -> None:
    d = desired([du("a@x.test")], [dg("eng", "Eng", ["a@x.test"])])
    state = live([lu("u1", "a@x.test"), lu("u2", "z@x.test")], [lg("g1", "Eng", ["u2"])])
    op = only(plan(d, state), UpdateGroup)
    assert op.id == "g1"
    assert [m.email for m in op.add_members] == ["a@x.test"]
    assert [m.email for m in op.remove_members] == ["z@x.test"]
    assert "exact name" in op.reasons[0]


def test_r7_two_live_groups_with_the_name_block_the_plan() -> None:
    d = desired([du("a@x.test")], [dg("eng", "Eng", ["a@x.test"])])
    state = live([lu("u1", "a@x.test")], [lg("g1", "Eng"), lg("g2", "Eng")])
    with pytest.raises(PlanningError) as caught:
        plan(d, state)
    assert caught.value.kinds == {"ambiguous_group"}
    assert "g1" in str(caught.value)
    assert "g2" in str(caught.value)


def test_r7_old_and_new_name_both_live_is_ambiguous() -> None:
    d = desired([du("a@x.test")], [dg("eng", "Engineering", ["a@x.test"], renamed_from=("Eng",))])
    state = live([lu("u1", "a@x.test")], [lg("g1", "Eng"), lg("g2", "Engineering")])
    with pytest.raises(PlanningError, match=r"g1 \('Eng'\), g2 \('Engineering'\)"):
        plan(d, state)


def test_r7_one_live_group_claimed_by_two_declared_groups_blocks() -> None:
    d = desired(
        [du("a@x.test")],
        [dg("eng", "Eng", ["a@x.test"]), dg("dev", "Dev", ["a@x.test"], renamed_from=("Eng",))],
    )
    with pytest.raises(PlanningError) as caught:
        plan(d, live([lu("u1", "a@x.test")], [lg("g1", "Eng")]))
    assert {d.subject for d in caught.value.diagnostics} == {"eng", "dev"}


# -- R8 rename ----------------------------------------------------------------------------


def test_r8_rename_in_place_never_recreates() -> None:
    d = desired(
        [du("a@x.test")],
        [dg("support", "Customer Support", ["a@x.test"], renamed_from=("Support",))],
    )
    state = live([lu("u1", "a@x.test")], [lg("g7", "Support", ["u1"])])
    p = plan(d, state)
    assert [op.action for op in p.operations] == [Action.UPDATE_GROUP]
    op = only(p, UpdateGroup)
    assert (op.id, op.rename, op.add_members, op.remove_members) == (
        "g7",
        ("Support", "Customer Support"),
        (),
        (),
    )
    converge(d, state)


# -- R9 delete ----------------------------------------------------------------------------


def test_r9_deleted_group_is_deleted_and_lone_members_deactivated() -> None:
    d = desired(
        [du("a@x.test"), du("b@x.test")],
        [
            dg("contractors", "Contractors", ["a@x.test", "b@x.test"], deleted=True),
            dg("eng", "Eng", ["b@x.test"]),
        ],
    )
    state = live(
        [lu("u1", "a@x.test"), lu("u2", "b@x.test")],
        [lg("g1", "Contractors", ["u1", "u2"]), lg("g2", "Eng", ["u2"])],
    )
    p = plan(d, state)
    assert only(p, DeleteGroup).id == "g1"
    op = only(p, UpdateUser)
    assert (op.email, op.active) == ("a@x.test", (True, False))
    assert "Contractors is deleted" in op.reasons[0]


def test_r9_deleted_pinned_group_never_falls_back_to_another_group_by_name() -> None:
    d = desired([du("a@x.test")], [dg("ops", "Ops", ["a@x.test"], id="g2", deleted=True)])
    state = live([lu("u1", "a@x.test")], [lg("g2", "Ops (old)", ["u1"]), lg("g3", "Ops")])
    assert [op.id for op in ops_of(plan(d, state), DeleteGroup)] == ["g2"]
    after = converge(d, state)  # g3 only shares the name: it is not deleted next time
    assert "g3" in after.groups_by_id


def test_r9_deleted_group_absent_live_plans_nothing() -> None:
    d = desired([du("a@x.test")], [dg("old", "Old", ["a@x.test"], deleted=True)])
    assert plan(d, live()).operations == ()


# -- R10 disassociate ---------------------------------------------------------------------


def test_r10_unmatched_live_group_is_left_alone_and_reported() -> None:
    d = desired([du("a@x.test")], [dg("eng", "Eng", ["a@x.test"])])
    state = live(
        [lu("u1", "a@x.test"), lu("u2", "z@x.test")],
        [lg("g1", "Eng", ["u1"]), lg("g9", "Board", ["u1", "u2"])],
    )
    p = plan(d, state)
    assert p.operations == ()
    (notice,) = p.notices_of(NoticeKind.UNMANAGED_GROUP)
    assert notice.subject == "Board"
    assert "g9" in notice.message


# -- R11 group management off -------------------------------------------------------------


def test_r11_no_group_operations_but_binding_still_applies() -> None:
    d = desired(
        [du("a@x.test"), du("b@x.test")],
        [dg("eng", "Eng", ["a@x.test"]), dg("old", "Old", deleted=True)],
        manage_groups=False,
    )
    state = live([lu("u2", "b@x.test")], [lg("g1", "Other", ["u2"]), lg("g2", "Old")])
    p = plan(d, state)
    assert {op.action for op in p.operations} == {Action.CREATE_USER, Action.UPDATE_USER}
    assert only(p, CreateUser).email == "a@x.test"
    assert only(p, UpdateUser).is_deactivation
    assert p.notices_of(NoticeKind.GROUP_MANAGEMENT_OFF)
    assert p.notices_of(NoticeKind.UNMANAGED_GROUP) == ()


# -- R12 managed membership ---------------------------------------------------------------


def test_r12_live_members_become_exactly_the_declared_existing_members() -> None:
    d = desired(
        [du("a@x.test"), du("new@x.test"), du("s@x.test", suspended=True), du("c@x.test")],
        [dg("eng", "Eng", ["a@x.test", "new@x.test", "s@x.test"]), dg("ops", "Ops", ["c@x.test"])],
    )
    state = live(
        [lu("u1", "a@x.test"), lu("u3", "c@x.test"), lu("u9", "stranger@x.test")],
        [lg("g1", "Eng", ["u3", "u9"]), lg("g2", "Ops", ["u3"])],
    )
    p = plan(d, state)
    op = only(p, UpdateGroup)
    assert [(m.email, m.id) for m in op.add_members] == [("a@x.test", "u1"), ("new@x.test", None)]
    assert [(m.email, m.id) for m in op.remove_members] == [
        ("c@x.test", "u3"),
        ("stranger@x.test", "u9"),
    ]
    after = converge(d, state)
    eng = after.groups_by_id["g1"]
    assert {after.users_by_id[i].email for i in eng.member_ids} == {"a@x.test", "new@x.test"}


# -- R13 unmanaged users ------------------------------------------------------------------


def test_r13_unmanaged_users_are_reported_and_ignored_by_default() -> None:
    d = desired([du("a@x.test")], [dg("eng", "Eng", ["a@x.test"])])
    state = live([lu("u1", "a@x.test"), lu("u2", "z@x.test")], [lg("g1", "Eng", ["u1"])])
    p = plan(d, state)
    assert p.operations == ()
    assert [n.subject for n in p.notices_of(NoticeKind.UNMANAGED_USER)] == ["z@x.test"]


def test_r13_unmanaged_users_deactivated_on_request() -> None:
    d = desired(
        [du("a@x.test")], [dg("eng", "Eng", ["a@x.test"])], unmanaged=UnmanagedUsers.DEACTIVATE
    )
    state = live(
        [lu("u1", "a@x.test"), lu("u2", "z@x.test"), lu("u3", "off@x.test", active=False)],
        [lg("g1", "Eng", ["u1"])],
    )
    p = plan(d, state)
    op = only(p, UpdateUser)
    assert (op.id, op.active, op.phase) == ("u2", (True, False), Phase.DEACTIVATE_USERS)
    assert p.gate(Gate.MAX_DEACTIVATIONS).value == 1
    assert len(p.notices_of(NoticeKind.UNMANAGED_USER)) == 2


# -- R14 names ----------------------------------------------------------------------------


def test_r14_only_the_effective_name_is_compared() -> None:
    d = desired(
        [
            du("a@x.test", first="Mary Ann", last="Smith"),  # TeamViewer splits it differently
            du("b@x.test", "Bob B.", first="Robert", last="Builder"),
            du("c@x.test", first="Carl", last="Cox"),
        ],
        [dg("eng", "Eng", ["a@x.test", "b@x.test", "c@x.test"])],
    )
    state = live(
        [
            lu("u1", "a@x.test", "Mary Ann Smith"),
            lu("u2", "b@x.test", "Robert Builder"),
            lu("u3", "c@x.test", "Carl Cox "),  # trailing space is not a change
        ],
        [lg("g1", "Eng", ["u1", "u2", "u3"])],
    )
    p = plan(d, state)
    op = only(p, UpdateUser)
    assert (op.email, op.display_name, op.active) == (
        "b@x.test",
        ("Robert Builder", "Bob B."),
        None,
    )


# -- R15 immutable and create-only ----------------------------------------------------------


def test_r15_create_carries_create_only_fields_and_email_is_never_changed() -> None:
    d = desired(
        [du("jane.new@x.test", "Jane Doe", language="de")],
        [dg("eng", "Eng", ["jane.new@x.test"])],
    )
    state = live([lu("u1", "jane@old.test", "Jane Doe")])
    p = plan(d, state)
    create = only(p, CreateUser)
    assert (create.email, create.language) == ("jane.new@x.test", "de")
    assert ops_of(p, UpdateUser) == []
    (notice,) = p.notices_of(NoticeKind.EMAIL_CHANGE_UNSUPPORTED)
    assert notice.subject == "jane.new@x.test"
    assert "jane@old.test" in notice.message
    assert "same display name" in notice.message


def test_r15_same_local_part_at_another_domain_is_flagged() -> None:
    d = desired([du("kim@new.test", "Kim Park")], [dg("eng", "Eng", ["kim@new.test"])])
    p = plan(d, live([lu("u1", "kim@old.test", "K. Park")]))
    (notice,) = p.notices_of(NoticeKind.EMAIL_CHANGE_UNSUPPORTED)
    assert "same local part" in notice.message


# -- R16 paused ---------------------------------------------------------------------------


def test_r16_paused_tenant_plans_nothing_and_says_why() -> None:
    d = desired(
        [du("a@x.test")],
        [dg("eng", "Eng", ["a@x.test"])],
        enabled=False,
        unmanaged=UnmanagedUsers.DEACTIVATE,
    )
    state = live([lu("u2", "z@x.test")], [lg("g1", "Other")])
    p = plan(d, state)
    assert p.operations == ()
    assert [n.kind for n in p.notices] == [NoticeKind.PAUSED]
    assert "enabled" in p.notices[0].message


# -- R18 minimal --------------------------------------------------------------------------


def test_r18_rename_and_deactivation_are_one_write_in_the_deactivate_phase() -> None:
    d = desired([du("a@x.test", "New Name", suspended=True)], [dg("eng", "Eng", ["a@x.test"])])
    state = live([lu("u1", "a@x.test", "Old Name")], [lg("g1", "Eng", ["u1"])])
    p = plan(d, state)
    assert len(p.operations) == 1
    op = only(p, UpdateUser)
    assert (op.display_name, op.active, op.phase) == (
        ("Old Name", "New Name"),
        (True, False),
        Phase.DEACTIVATE_USERS,
    )


def test_r18_created_group_carries_its_members_and_unchanged_resources_get_nothing() -> None:
    d = desired(
        [du("a@x.test", "A"), du("b@x.test", "B")],
        [dg("eng", "Eng", ["a@x.test", "b@x.test"]), dg("ops", "Ops", ["a@x.test"])],
    )
    state = live([lu("u1", "a@x.test", "A")], [lg("g1", "Ops", ["u1"])])
    p = plan(d, state)
    assert [op.action for op in p.operations] == [Action.CREATE_USER, Action.CREATE_GROUP]
    assert [m.email for m in only(p, CreateGroup).members] == ["a@x.test", "b@x.test"]


# -- R19 order ----------------------------------------------------------------------------


def test_r19_operations_run_in_phase_order() -> None:
    d = desired(
        [du("new@x.test"), du("back@x.test", "Back"), du("leaver@x.test")],
        [
            dg("eng", "Eng", ["new@x.test", "back@x.test"]),
            dg("fresh", "Fresh", ["new@x.test"]),
            dg("old", "Old", ["leaver@x.test"], deleted=True),
        ],
    )
    state = live(
        [lu("u1", "back@x.test", "Back", active=False), lu("u2", "leaver@x.test")],
        [lg("g1", "Eng", ["u2"]), lg("g2", "Old", ["u2"])],
    )
    p = plan(d, state)
    phases = [op.phase for op in p.operations]
    assert phases == [
        Phase.CREATE_USERS,
        Phase.UPDATE_USERS,
        Phase.GROUPS,
        Phase.GROUPS,
        Phase.DEACTIVATE_USERS,
        Phase.DELETE_GROUPS,
    ]
    assert [op.action for op in p.operations][2:4] == [Action.CREATE_GROUP, Action.UPDATE_GROUP]
    converge(d, state)  # apply_plan asserts users exist before groups reference them


# -- R20 safety gate inputs ---------------------------------------------------------------


def _tenant_of(n_active: int, n_leaving: int, safety: Safety) -> tuple:
    users = [du(f"u{i}@x.test") for i in range(n_active)]
    stay = [f"u{i}@x.test" for i in range(n_leaving, n_active)]
    d = desired(users, [dg("eng", "Eng", stay)], safety=safety)
    state = live(
        [lu(f"id{i}", f"u{i}@x.test") for i in range(n_active)],
        [lg("g1", "Eng", [f"id{i}" for i in range(n_active)])],
    )
    return d, state


def test_r20_percentage_gate_counts_only_from_ten_active_users() -> None:
    safety = Safety(max_deactivations=100, max_deactivation_percent=20)
    small = plan(*_tenant_of(9, 3, safety))
    gate = small.gate(Gate.MAX_DEACTIVATION_PERCENT)
    assert (gate.value, gate.passes) == (33.33, True)
    big = plan(*_tenant_of(10, 3, safety))
    gate = big.gate(Gate.MAX_DEACTIVATION_PERCENT)
    assert (gate.value, gate.limit, gate.passes) == (30.0, 20.0, False)
    assert not big.passes_safety
    edge = plan(*_tenant_of(10, 2, safety))
    assert edge.gate(Gate.MAX_DEACTIVATION_PERCENT).passes  # 20 % is within 20 %


def test_r20_absolute_gates_and_empty_desired() -> None:
    safety = Safety(max_deactivations=2, max_deactivation_percent=100, max_group_deletions=1)
    p = plan(*_tenant_of(5, 3, safety))
    gate = p.gate(Gate.MAX_DEACTIVATIONS)
    assert (gate.value, gate.limit, gate.passes) == (3, 2, False)
    assert [g.gate for g in p.failed_gates] == [Gate.MAX_DEACTIVATIONS]

    d = desired([], [dg("a", "A", deleted=True), dg("b", "B", deleted=True)], safety=safety)
    p = plan(d, live([], [lg("g1", "A"), lg("g2", "B")]))
    gate = p.gate(Gate.MAX_GROUP_DELETIONS)
    assert (gate.value, gate.limit, gate.passes) == (2, 1, False)

    empty = plan(desired(unmanaged=UnmanagedUsers.DEACTIVATE), live([lu("u1", "a@x.test")]))
    gate = empty.gate(Gate.EMPTY_DESIRED)
    assert (gate.value, gate.passes) == (True, False)
    assert empty.summary.deactivations == 1


# -- R21 staleness inputs -----------------------------------------------------------------


def test_r21_live_fingerprint_tracks_live_state_not_its_order() -> None:
    users = [lu("u1", "a@x.test"), lu("u2", "b@x.test")]
    a = Live(users=tuple(users), groups=(lg("g1", "Eng", ["u1", "u2"]),))
    b = Live(users=tuple(reversed(users)), groups=(lg("g1", "Eng", ["u2", "u1"]),))
    c = Live(users=tuple(users), groups=(lg("g1", "Eng", ["u1"]),))
    assert live_fingerprint(a) == live_fingerprint(b)
    assert live_fingerprint(a) != live_fingerprint(c)
    d = desired([du("a@x.test")], [dg("eng", "Eng", ["a@x.test"])])
    assert plan(d, a, Policy(target="t")).live_fingerprint == live_fingerprint(a)


def test_r21_desired_fingerprint_never_contains_the_sso_secret() -> None:
    from reconcile.desired.model import Desired

    one = Desired.build(tenant=Tenant(sso_customer_id="s3cret-one"))
    two = Desired.build(tenant=Tenant(sso_customer_id="s3cret-two"))
    assert desired_fingerprint(one) == desired_fingerprint(two)
    p = plan(one, live(), Policy(target="embedded"))
    assert "s3cret" not in plan_to_json(p)


# -- R22 convergence ----------------------------------------------------------------------


def test_r22_plan_after_apply_is_empty() -> None:
    d = desired(
        [
            du("Jane@X.test", "Jane  Doe"),
            du("bob@x.test", first="Bob", last="Stone"),
            du("sus@x.test", suspended=True),
            du("leaver@x.test"),
        ],
        [
            dg("eng", "Engineering", ["jane@x.test", "bob@x.test"], renamed_from=("Eng",)),
            dg("ops", "Ops", ["sus@x.test", "bob@x.test"]),
            dg("old", "Old", ["leaver@x.test"], deleted=True),
        ],
        unmanaged=UnmanagedUsers.DEACTIVATE,
    )
    state = live(
        [
            lu("u1", "jane@x.test", "Jane"),
            lu("u2", "sus@x.test"),
            lu("u3", "leaver@x.test"),
            lu("u4", "stray@x.test"),
        ],
        [lg("g1", "Eng", ["u1", "u4"]), lg("g2", "Old", ["u3"]), lg("g3", "Board", ["u4"])],
    )
    after = converge(d, state)
    assert {u.email: u.active for u in after.users} == {
        "jane@x.test": True,
        "bob@x.test": True,
        "sus@x.test": False,
        "leaver@x.test": False,
        "stray@x.test": False,
    }


# -- blocking errors ----------------------------------------------------------------------


def test_undeclared_group_member_blocks_planning() -> None:
    d = desired([du("a@x.test")], [dg("eng", "Eng", ["a@x.test", "ghost@x.test"])])
    with pytest.raises(PlanningError, match=r"ghost@x\.test"):
        plan(d, live())


def test_rename_onto_an_unmanaged_groups_name_blocks_planning() -> None:
    d = desired([du("a@x.test")], [dg("eng", "Board", ["a@x.test"], id="g1")])
    state = live([lu("u1", "a@x.test")], [lg("g1", "Eng", ["u1"]), lg("g2", "Board")])
    with pytest.raises(PlanningError) as caught:
        plan(d, state)
    assert caught.value.kinds == {"group_name_conflict"}
