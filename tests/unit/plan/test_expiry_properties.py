"""Hypothesis properties of R24 over the random tenants of test_properties.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st

from reconcile.desired.model import Desired, Expiry
from reconcile.live.model import Live
from reconcile.plan import Plan, PlanningError, Policy, UpdateUser, plan
from tests.unit.plan.builders import apply_plan
from tests.unit.plan.test_properties import SETTINGS, tenants

BASE = datetime(2027, 1, 1, tzinfo=UTC)
# Expiries from BASE to BASE + 40 days, in whole hours; plans at any hour of that span.
HOURS = st.integers(0, 40 * 24)


@st.composite
def with_expiries(draw: st.DrawFn) -> tuple[Desired, Desired, Live]:
    """(the tenant with random expiries, the same tenant without them, live)."""
    plain, state = draw(tenants())
    groups = []
    for group in plain.groups.values():
        chosen = (
            draw(st.lists(st.sampled_from(group.members), unique=True)) if group.members else []
        )
        expiries = {m: Expiry(BASE + timedelta(hours=draw(HOURS)), f"h{m}") for m in chosen}
        groups.append(replace(group, expiries=MappingProxyType(expiries)))
    users = [
        replace(u, expires=Expiry(BASE + timedelta(hours=draw(HOURS)), "u"))
        if draw(st.integers(0, 4)) == 0
        else u
        for u in plain.users.values()
    ]
    return Desired.build(tenant=plain.tenant, users=users, groups=groups), plain, state


def planned(d: Desired, state: Live, now: datetime | None) -> Plan | None:
    try:
        return plan(d, state, Policy(target="t", now=now))
    except PlanningError:
        return None


@SETTINGS
@given(with_expiries())
def test_r24_a_plan_before_every_expiry_equals_the_plan_without_expiries(
    case: tuple[Desired, Desired, Live],
) -> None:
    timed, plain, state = case
    # Earlier than every expiry by more than the warning window: not even a notice.
    now = BASE - timedelta(days=timed.tenant.expiry_warning_days, seconds=1)
    with_times = planned(timed, state, now)
    without = planned(plain, state, now)
    assert (with_times is None) == (without is None)
    if with_times is None or without is None:
        return
    assert with_times.operations == without.operations
    assert with_times.notices == without.notices
    assert with_times.safety == without.safety
    assert with_times.expired == ()


def _unexpired_present_groups(d: Desired, key: str, now: datetime) -> list[str]:
    user = d.users[key]
    if user.expires is not None and user.expires.passed(now):
        return []
    return [
        gkey
        for gkey, g in d.groups.items()
        if g.present
        and key in g.members
        and not (key in g.expiries and g.expiries[key].passed(now))
    ]


@SETTINGS
@given(with_expiries(), HOURS)
def test_r24_r5_expiry_never_deactivates_a_user_who_keeps_an_unexpired_present_group(
    case: tuple[Desired, Desired, Live], hour: int
) -> None:
    timed, _, state = case
    now = BASE + timedelta(hours=hour)
    p = planned(timed, state, now)
    if p is None:
        return
    for op in p.operations:
        if isinstance(op, UpdateUser) and op.is_deactivation and op.key in timed.users:
            user = timed.users[op.key]
            if user.suspended or user.password_expired:
                continue  # R3 deactivates them whatever their groups
            assert not _unexpired_present_groups(timed, op.key, now), op
            if any("(R24)" in reason for reason in op.reasons):
                assert any(e.key == op.key for e in p.expired)


@SETTINGS
@given(with_expiries(), HOURS)
def test_r24_r22_applying_a_plan_converges_at_the_same_time(
    case: tuple[Desired, Desired, Live], hour: int
) -> None:
    timed, _, state = case
    now = BASE + timedelta(hours=hour)
    p = planned(timed, state, now)
    if p is None:
        return
    again = planned(timed, apply_plan(state, p), now)
    assert again is not None
    assert not again.operations
