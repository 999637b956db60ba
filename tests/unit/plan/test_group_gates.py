"""R20 per group (issue 15 items 3 and 4): one group losing too many members is refused
like the tenant-wide gates, and `--allow-deactivations N` overrides the deactivation gates
only up to N deactivations of the fresh plan."""

from __future__ import annotations

import re

import pytest

from reconcile.desired.model import Safety
from reconcile.plan import Gate, Plan, plan
from reconcile.plan.errors import UnsafePlan
from reconcile.plan.safety import Override, check_applicable
from tests.unit.plan.builders import desired, dg, du, lg, live, lu

EMAILS = [f"m{i:02}@x.test" for i in range(40)]


def _big_group_loses(keep: int, *, size: int = 40, safety: Safety | None = None) -> Plan:
    """A group of `size` members keeps `keep`; every member stays in group "all", so the
    removals deactivate nobody: the tenant-wide gates see nothing."""
    emails = EMAILS[:size]
    d = desired(
        [du(e) for e in emails],
        [dg("support", "Support", emails[:keep]), dg("all", "All", emails)],
        safety=safety,
    )
    ids = [f"id{i}" for i in range(size)]
    state = live(
        [lu(i, e) for i, e in zip(ids, emails, strict=True)],
        [lg("g1", "Support", ids), lg("g2", "All", ids)],
    )
    return plan(d, state)


def test_r20_a_group_losing_more_than_the_limit_is_refused() -> None:
    fresh = _big_group_loses(keep=29)  # 11 removed, 27.5 %
    assert fresh.summary.deactivations == 0
    gate = fresh.gate(Gate.MAX_REMOVALS_PER_GROUP)
    assert (gate.value, gate.limit, gate.passes) == (11, 10, False)
    assert gate.detail == "group 'Support' would lose 11 of 40 members"
    assert fresh.gate(Gate.MAX_REMOVAL_PERCENT_PER_GROUP).passes
    with pytest.raises(UnsafePlan) as caught:
        check_applicable(fresh=fresh)
    assert [g.gate for g in caught.value.failed] == [Gate.MAX_REMOVALS_PER_GROUP]
    assert "safety gate max_removals_per_group refused the plan" in str(caught.value)
    assert check_applicable(fresh=fresh, override=Override(all_gates=True)).overridden


def test_r20_ten_removals_from_one_group_pass_the_default_limit() -> None:
    fresh = _big_group_loses(keep=30)
    assert fresh.gate(Gate.MAX_REMOVALS_PER_GROUP).passes
    assert fresh.gate(Gate.MAX_REMOVALS_PER_GROUP).detail == (
        "at most 10 members removed from one group"
    )
    assert check_applicable(fresh=fresh).overridden == ()


def test_r20_the_percentage_per_group_counts_from_ten_members() -> None:
    safety = Safety(max_removals_per_group=100)
    over = _big_group_loses(keep=4, size=10, safety=safety)  # 6 of 10: 60 % > 50 %
    gate = over.gate(Gate.MAX_REMOVAL_PERCENT_PER_GROUP)
    assert (gate.value, gate.limit, gate.passes) == (60.0, 50.0, False)
    assert "group 'Support' would lose 6 of 10 members" in gate.detail
    small = _big_group_loses(keep=1, size=9, safety=safety)  # 8 of 9, but only 9 members
    gate = small.gate(Gate.MAX_REMOVAL_PERCENT_PER_GROUP)
    assert gate.passes
    assert gate.detail.startswith("not counted")


def test_r20_per_group_limits_come_from_the_tenant_safety() -> None:
    strict = Safety(max_removals_per_group=0)
    assert not _big_group_loses(keep=39, safety=strict).gate(Gate.MAX_REMOVALS_PER_GROUP).passes


def _deactivating(count: int) -> Plan:
    emails = EMAILS[:count]
    d = desired([du(e) for e in emails], [], safety=Safety(max_deactivations=1))
    return plan(d, live([lu(f"id{i}", e) for i, e in enumerate(emails)]))


def test_allow_deactivations_covers_the_deactivation_gates_up_to_n() -> None:
    fresh = _deactivating(3)
    checked = check_applicable(fresh=fresh, override=Override(deactivations=3))
    assert [g.gate for g in checked.overridden] == [Gate.MAX_DEACTIVATIONS]
    with pytest.raises(UnsafePlan) as caught:
        check_applicable(fresh=fresh, override=Override(deactivations=2))
    message = str(caught.value)
    assert "--allow-deactivations 2 allows at most 2 deactivations" in message
    assert "the fresh plan deactivates 3" in message
    assert caught.value.deactivations == 3


def test_a_bound_of_one_deactivation_is_said_in_the_singular() -> None:
    with pytest.raises(UnsafePlan) as caught:
        check_applicable(fresh=_deactivating(3), override=Override(deactivations=1))
    assert "--allow-deactivations 1 allows at most 1 deactivation, but" in str(caught.value)


def test_allow_deactivations_does_not_cover_other_gates() -> None:
    fresh = _big_group_loses(keep=19)  # 21 of 40 removed: 52.5 %
    with pytest.raises(UnsafePlan) as caught:
        check_applicable(fresh=fresh, override=Override(deactivations=1000))
    assert {g.gate for g in caught.value.failed} == {
        Gate.MAX_REMOVALS_PER_GROUP,
        Gate.MAX_REMOVAL_PERCENT_PER_GROUP,
    }


def test_advice_offers_allow_deactivations_only_when_it_would_cover_the_refusal() -> None:
    """A per-group refusal cannot be lifted by --allow-deactivations, so the advice must not
    suggest it; a deactivation refusal still gets the bound flag with the fresh count."""
    groups = _big_group_loses(keep=19)
    with pytest.raises(UnsafePlan) as caught:
        check_applicable(fresh=groups)
    assert re.search(r"--allow-deactivations \d", caught.value.advice) is None
    assert "override the gates for this run with --allow-mass-change" in caught.value.advice
    with pytest.raises(UnsafePlan) as caught:
        check_applicable(fresh=_deactivating(3))
    assert "--allow-deactivations 3 for the deactivation gates only" in caught.value.advice


def test_with_both_flags_the_reviewed_count_still_binds_the_deactivation_gates() -> None:
    """The label path of CI: --allow-mass-change for the other gates, N for deactivations."""
    fresh = _deactivating(3)
    with pytest.raises(UnsafePlan) as caught:
        check_applicable(fresh=fresh, override=Override(all_gates=True, deactivations=2))
    assert [g.gate for g in caught.value.failed] == [Gate.MAX_DEACTIVATIONS]
    both = Override(all_gates=True, deactivations=3)
    checked = check_applicable(fresh=fresh, override=both)
    assert [both.flag_for(g) for g in checked.overridden] == ["--allow-deactivations 3"]
    groups = _big_group_loses(keep=19)
    checked = check_applicable(fresh=groups, override=both)
    assert {both.flag_for(g) for g in checked.overridden} == {"--allow-mass-change"}
