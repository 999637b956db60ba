"""R20 and R21 enforced by the library: check_applicable, and apply_plan refusing anything else."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from reconcile.apply import apply_plan
from reconcile.desired.model import Safety, UnmanagedUsers
from reconcile.errors import ReconcileError
from reconcile.plan import Gate, Plan, plan
from reconcile.plan.errors import NotApplicable, PlanError, StalePlan, UnsafePlan
from reconcile.plan.model import UpdateUser
from reconcile.plan.safety import ApplicablePlan, Override, check_applicable
from reconcile.plan.wire import plan_from_json, plan_to_json
from tests.unit.plan.builders import desired, dg, du, live, lu

USERS = [f"u{i}@x.test" for i in range(3)]


def _deactivating(limit: int) -> Plan:
    """Three users leave their only group; the limit on deactivations is `limit`."""
    d = desired([du(e) for e in USERS], [], safety=Safety(max_deactivations=limit))
    state = live([lu(f"id{i}", e) for i, e in enumerate(USERS)])
    return plan(d, state)


def _empty_desired() -> Plan:
    return plan(desired(unmanaged=UnmanagedUsers.DEACTIVATE), live([lu("id0", USERS[0])]))


def test_a_plan_within_the_gates_is_applicable() -> None:
    fresh = _deactivating(limit=5)
    checked = check_applicable(fresh=fresh)
    assert checked.plan is fresh
    assert checked.overridden == ()


def test_r20_a_plan_over_a_gate_is_refused_naming_the_gate_and_what_to_do() -> None:
    fresh = _deactivating(limit=1)
    with pytest.raises(UnsafePlan) as caught:
        check_applicable(fresh=fresh)
    assert [g.gate for g in caught.value.failed] == [Gate.MAX_DEACTIVATIONS]
    message = str(caught.value)
    assert "safety gate max_deactivations refused the plan" in message
    assert "(value 3, limit 1)" in message
    assert "tenant.safety" in message
    assert "--allow-mass-change" in message
    assert isinstance(caught.value, NotApplicable | PlanError | ReconcileError)


def test_r20_an_empty_desired_state_is_refused_with_its_own_advice() -> None:
    with pytest.raises(UnsafePlan) as caught:
        check_applicable(fresh=_empty_desired())
    assert Gate.EMPTY_DESIRED in {g.gate for g in caught.value.failed}
    assert "check that PATH is the right folder" in caught.value.advice


def test_r20_the_override_lets_the_plan_through_and_says_which_gates_it_covered() -> None:
    fresh = _deactivating(limit=1)
    checked = check_applicable(fresh=fresh, override=Override(all_gates=True))
    assert checked.plan is fresh
    assert [g.gate for g in checked.overridden] == [Gate.MAX_DEACTIVATIONS]


def test_a_plan_without_operations_passes_even_from_an_empty_desired_state() -> None:
    nothing = plan(desired(), live())
    assert not nothing.has_changes
    assert not nothing.passes_safety
    assert check_applicable(fresh=nothing).plan is nothing


def test_r21_a_saved_plan_equal_to_the_fresh_one_is_applied_as_saved() -> None:
    fresh = _deactivating(limit=5)
    saved = plan_from_json(plan_to_json(fresh))
    assert check_applicable(fresh=fresh, saved=saved).plan is saved


def test_r21_a_saved_plan_from_another_live_state_is_stale() -> None:
    fresh = _deactivating(limit=5)
    saved = dataclasses.replace(fresh, live_fingerprint="0" * 64)
    with pytest.raises(StalePlan) as caught:
        check_applicable(fresh=fresh, saved=saved)
    assert caught.value.problems == ("the live state changed since it was made",)
    assert caught.value.fresh is fresh
    assert "reconcile plan --out" in str(caught.value)


def test_r21_other_targets_desired_states_and_operations_are_stale_too() -> None:
    fresh = _deactivating(limit=5)
    other = dataclasses.replace(fresh, target="elsewhere", desired_fingerprint="1" * 64)
    with pytest.raises(StalePlan) as caught:
        check_applicable(fresh=fresh, saved=other)
    assert len(caught.value.problems) == 2
    fewer = dataclasses.replace(fresh, operations=fresh.operations[1:])
    with pytest.raises(StalePlan, match="planning now gives different operations"):
        check_applicable(fresh=fresh, saved=fewer)


def test_r20_a_saved_plan_cannot_vouch_for_its_own_gates() -> None:
    fresh = _deactivating(limit=1)
    saved = dataclasses.replace(
        fresh, safety=tuple(dataclasses.replace(g, passes=True) for g in fresh.safety)
    )
    assert saved.passes_safety
    with pytest.raises(UnsafePlan):
        check_applicable(fresh=fresh, saved=saved)


def test_staleness_is_judged_before_the_gates() -> None:
    fresh = _deactivating(limit=1)
    with pytest.raises(StalePlan):
        check_applicable(fresh=fresh, saved=dataclasses.replace(fresh, target="other"))


class _NoClient:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"apply_plan touched the client ({name}) for an unchecked plan")


def test_apply_plan_refuses_a_plan_that_was_not_checked() -> None:
    fresh = _deactivating(limit=1)
    assert any(isinstance(op, UpdateUser) for op in fresh.operations)
    with pytest.raises(TypeError, match="check_applicable"):
        asyncio.run(apply_plan(fresh, client=_NoClient()))  # type: ignore[arg-type]


def test_an_applicable_plan_cannot_be_made_by_hand() -> None:
    with pytest.raises(TypeError, match="check_applicable"):
        ApplicablePlan(_deactivating(limit=1), (), object())


def test_a_plan_that_only_creates_overrides_nothing() -> None:
    d = desired([du(USERS[0])], [dg("eng", "Eng", [USERS[0]])])
    assert check_applicable(fresh=plan(d, live())).overridden == ()
