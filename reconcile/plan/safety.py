"""R20 safety gates: computed by the planner, enforced by apply (exit 3 unless overridden)."""

from __future__ import annotations

from collections.abc import Iterable

from reconcile.desired.model import Desired
from reconcile.live.model import Live
from reconcile.plan.model import DeleteGroup, Gate, GateResult, Operation, UpdateUser
from reconcile.text import plural

# Like octoDNS's minimum of 10 existing records: below this many active users a
# percentage is meaningless (1 of 4 is 25 %), so only the absolute limit applies.
PERCENT_GATE_MIN_ACTIVE_USERS = 10


def count_active(live: Live) -> int:
    return sum(1 for user in live.users if user.active)


def compute_safety(
    *, desired: Desired, live: Live, operations: Iterable[Operation]
) -> tuple[GateResult, ...]:
    limits = desired.tenant.safety
    deactivations = deletions = 0
    for op in operations:
        if isinstance(op, UpdateUser) and op.is_deactivation:
            deactivations += 1
        elif isinstance(op, DeleteGroup):
            deletions += 1
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
