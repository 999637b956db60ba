"""R20 safety gates and R21 staleness: computed by the planner, enforced by the library.

    compute_safety(...)                        the gates of a plan (the planner calls it)
    check_applicable(fresh=, saved=, override=) -> ApplicablePlan, or StalePlan/UnsafePlan
    apply_plan(checked, ...)                   (reconcile.apply) runs only an ApplicablePlan

The command line only maps the two refusals to exit 3; any other caller of the library
gets the same protection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from reconcile.desired.model import Desired, Safety
from reconcile.live.model import Live
from reconcile.plan.errors import StalePlan, UnsafePlan
from reconcile.plan.model import (
    DEACTIVATION_GATES,
    DeleteGroup,
    Gate,
    GateResult,
    Operation,
    Plan,
    UpdateGroup,
    UpdateUser,
)
from reconcile.text import plural

# Like octoDNS's minimum of 10 existing records: below this many active users a
# percentage is meaningless (1 of 4 is 25 %), so only the absolute limit applies.
PERCENT_GATE_MIN_ACTIVE_USERS = 10
# The same for one group: losing 3 of 4 members is 75 %, yet only the absolute limit says
# anything about so small a group.
PERCENT_GATE_MIN_GROUP_MEMBERS = 10


def count_active(live: Live) -> int:
    return sum(1 for user in live.users if user.active)


def compute_safety(
    *, desired: Desired, live: Live, operations: Iterable[Operation]
) -> tuple[GateResult, ...]:
    limits = desired.tenant.safety
    deactivations = deletions = 0
    removals: list[tuple[str, int, int]] = []  # (group name, members removed, live size)
    for op in operations:
        if isinstance(op, UpdateUser) and op.is_deactivation:
            deactivations += 1
        elif isinstance(op, DeleteGroup):
            deletions += 1
        elif isinstance(op, UpdateGroup) and op.remove_members:
            group = live.groups_by_id.get(op.id)
            size = len(group.member_ids) if group is not None else len(op.remove_members)
            removals.append((op.name, len(op.remove_members), size))
    active = count_active(live)
    percent_limit = float(limits.max_deactivation_percent)
    percent = round(deactivations * 100 / active, 2) if active else 0.0
    counted = active >= PERCENT_GATE_MIN_ACTIVE_USERS
    # Compare without rounding: 1 of 3 users is 33.33...%, not 33.33 %.
    percent_passes = not counted or deactivations * 100 <= percent_limit * active
    if counted:
        percent_detail = f"{deactivations} of {active} active users would be deactivated"
    else:
        percent_detail = (
            f"not counted: only {active} active users "
            f"(the percentage gate needs at least {PERCENT_GATE_MIN_ACTIVE_USERS})"
        )
    empty = desired.is_empty
    return (
        GateResult(
            gate=Gate.MAX_DEACTIVATIONS,
            value=deactivations,
            limit=limits.max_deactivations,
            passes=deactivations <= limits.max_deactivations,
            detail=f"{plural(deactivations, 'user')} would be deactivated",
        ),
        GateResult(
            gate=Gate.MAX_DEACTIVATION_PERCENT,
            value=percent,
            limit=percent_limit,
            passes=percent_passes,
            detail=percent_detail,
        ),
        GateResult(
            gate=Gate.MAX_GROUP_DELETIONS,
            value=deletions,
            limit=limits.max_group_deletions,
            passes=deletions <= limits.max_group_deletions,
            detail=f"{plural(deletions, 'group')} would be deleted",
        ),
        *_group_removal_gates(limits=limits, removals=removals),
        GateResult(
            gate=Gate.EMPTY_DESIRED,
            value=empty,
            limit=False,
            passes=not empty,
            detail=(
                "the desired state declares no users and no groups"
                if empty
                else "the desired state is not empty"
            ),
        ),
    )


def _group_removal_gates(
    *, limits: Safety, removals: list[tuple[str, int, int]]
) -> tuple[GateResult, GateResult]:
    """R20 per group: a wrong edit to one big group is what the tenant-wide limits miss
    (its members keep their other groups, so few or none are deactivated)."""
    count_limit = limits.max_removals_per_group
    percent_limit = float(limits.max_removal_percent_per_group)
    over_count = [(name, n, size) for name, n, size in removals if n > count_limit]
    counted = [
        (name, n, size) for name, n, size in removals if size >= PERCENT_GATE_MIN_GROUP_MEMBERS
    ]
    # Compare without rounding, as for the tenant-wide percentage.
    over_percent = [(name, n, size) for name, n, size in counted if n * 100 > percent_limit * size]
    worst = max((n for _, n, _ in removals), default=0)
    worst_percent = max((round(n * 100 / size, 2) for _, n, size in counted), default=0.0)
    return (
        GateResult(
            gate=Gate.MAX_REMOVALS_PER_GROUP,
            value=worst,
            limit=count_limit,
            passes=not over_count,
            detail=_removal_detail(over_count, removals, what="members"),
        ),
        GateResult(
            gate=Gate.MAX_REMOVAL_PERCENT_PER_GROUP,
            value=worst_percent,
            limit=percent_limit,
            passes=not over_percent,
            detail=_removal_detail(over_percent, counted, what="percent"),
        ),
    )


def _removal_detail(
    over: list[tuple[str, int, int]], considered: list[tuple[str, int, int]], *, what: str
) -> str:
    if over:
        worst = sorted(over, key=lambda item: (-item[1] / item[2], item[0]))
        shown = "; ".join(
            f"group '{name}' would lose {n} of {size} members" for name, n, size in worst[:3]
        )
        more = f"; and {plural(len(over) - 3, 'more group')}" if len(over) > 3 else ""
        return shown + more
    if what == "percent" and not considered:
        return (
            "not counted: no group of at least "
            f"{PERCENT_GATE_MIN_GROUP_MEMBERS} members loses members"
        )
    most = max((n for _, n, _ in considered), default=0)
    return f"at most {plural(most, 'member')} removed from one group"


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """What the operator allows past the R20 gates for one run (from command-line flags).

    `all_gates` is `--allow-mass-change`: every gate, the empty desired state included.
    Narrower overrides (e.g. up to N deactivations) become further fields here;
    `covers` is the one place that decides whether a failed gate is overridden.
    """

    all_gates: bool = False
    # `--allow-deactivations N`: the deactivation gates, but only while the fresh plan
    # deactivates at most N users, so that approving 3 deactivations cannot apply 300.
    deactivations: int | None = None

    def covers(self, gate: GateResult, *, fresh: Plan) -> bool:
        # The bound wins over `all_gates` for the deactivation gates: given both flags (a
        # reviewed plan that also trips another gate), the reviewed count still binds.
        if self.deactivations is not None and gate.gate in DEACTIVATION_GATES:
            return fresh.summary.deactivations <= self.deactivations
        return self.all_gates

    def flag_for(self, gate: GateResult) -> str:
        """The command-line flag that let `gate` through, for warnings."""
        if self.deactivations is not None and gate.gate in DEACTIVATION_GATES:
            return f"--allow-deactivations {self.deactivations}"
        return "--allow-mass-change"


NO_OVERRIDE = Override()

_ISSUED = object()  # only check_applicable makes ApplicablePlan values


@dataclass(frozen=True, slots=True)
class ApplicablePlan:
    """A plan that passed `check_applicable`: the only thing `apply_plan` runs.

    `overridden` lists the failed gates the override let through, for warnings.
    """

    plan: Plan
    overridden: tuple[GateResult, ...]
    _issued_by: object = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._issued_by is not _ISSUED:
            raise TypeError("an ApplicablePlan comes from check_applicable(...) only")


def check_applicable(
    *, fresh: Plan, saved: Plan | None = None, override: Override = NO_OVERRIDE
) -> ApplicablePlan:
    """The plan to apply (`saved` if given, else `fresh`), checked against R21 and R20.

    `fresh` is planned just now from the desired state and the live state read just now.
    A saved plan is accepted only when it is that very plan (same target, fingerprints and
    operations), else StalePlan. The gates are judged on `fresh`, never on the saved
    file's own safety block (anyone could edit it): a failed gate the override does not
    cover raises UnsafePlan. A plan without operations changes nothing and always passes.
    """
    chosen = fresh if saved is None else _same_as_fresh(saved, fresh)
    if not chosen.has_changes:
        return ApplicablePlan(chosen, (), _ISSUED)
    failed = fresh.failed_gates
    refused = tuple(gate for gate in failed if not override.covers(gate, fresh=fresh))
    if refused:
        raise UnsafePlan(
            plan=chosen,
            failed=refused,
            allowed_deactivations=override.deactivations,
            deactivations=fresh.summary.deactivations,
        )
    return ApplicablePlan(chosen, failed, _ISSUED)


def _same_as_fresh(saved: Plan, fresh: Plan) -> Plan:
    """R21: the saved plan, when planning now gives the very same plan."""
    problems = []
    if saved.target != fresh.target:
        problems.append(f"it was made for {saved.target}, not {fresh.target}")
    if saved.live_fingerprint != fresh.live_fingerprint:
        problems.append("the live state changed since it was made")
    if saved.desired_fingerprint != fresh.desired_fingerprint:
        problems.append("the desired state changed since it was made")
    if saved.operations != fresh.operations and not problems:
        problems.append("planning now gives different operations")
    if problems:
        raise StalePlan(problems=tuple(problems), fresh=fresh)
    return saved
