"""R24 in the planner: which declared memberships have expired at the plan's time.

Pure, like the planner: the time comes in as an argument (`Policy(now=...)`), never from
a clock. A membership past its expiry, or every membership of a user past their own
`expires`, counts as absent (R12); R2, R3 and R5 then treat it like any other removal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from reconcile.desired.expiry import Expiring, declared_expiries, describe_delay
from reconcile.desired.model import Desired, DesiredGroup
from reconcile.identity import email_key
from reconcile.live.model import Live
from reconcile.plan.model import (
    Expiration,
    MemberRef,
    Notice,
    NoticeKind,
    Operation,
    Plan,
    UpdateGroup,
    UpdateUser,
)
from reconcile.plan.safety import compute_safety
from reconcile.text import plural


@dataclass(frozen=True, slots=True)
class ExpiryView:
    """The expiries of one desired state at one time."""

    now: datetime | None
    # group key -> member key -> the expiry that removed the membership
    expired: Mapping[str, Mapping[str, Expiring]] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    group_names: Mapping[str, str] = field(default_factory=dict)  # of the groups in `expired`

    @property
    def expirations(self) -> tuple[Expiration, ...]:
        """What counted as absent, for the plan (one entry per declared expiry)."""
        found = {
            Expiration(e.email, e.group, e.expiry.text)
            for by_member in self.expired.values()
            for e in by_member.values()
        }
        return tuple(sorted(found))

    def members_of(self, key: str, group: DesiredGroup) -> Sequence[str]:
        """The group's members that count at `now` (expired memberships left out)."""
        gone = self.expired.get(key)
        if not gone:
            return group.members
        return [member for member in group.members if member not in gone]

    def has_expired(self, group_key: str, member_key: str) -> bool:
        return member_key in self.expired.get(group_key, {})

    def removal_reason(self, group_key: str, member_key: str) -> str | None:
        """Why a live member is removed from a group, when expiry is the cause."""
        expiring = self.expired.get(group_key, {}).get(member_key)
        if expiring is None:
            return None
        what = "access" if expiring.group is None else "membership"
        return f"{expiring.email}: {what} expired {expiring.expiry.text} (R24)"

    def lapsed(self, member_key: str) -> str | None:
        """'membership of X expired D (R24)', or 'access expired D (R24)' for the user's
        own expiry, when some membership of the user ended by expiry; else None."""
        causes = sorted(
            (group_key, by_member[member_key])
            for group_key, by_member in self.expired.items()
            if member_key in by_member
        )
        if not causes:
            return None
        own = [e for _, e in causes if e.group is None]
        if own:
            return f"access expired {own[0].expiry.text} (R24)"
        parts = [f"of {self.group_names.get(k, k)} expired {e.expiry.text}" for k, e in causes]
        return f"membership {'; membership '.join(parts)} (R24)"

    def deactivation_reason(self, member_key: str) -> str | None:
        """Why a user who lost their last present group is deactivated, when an expiry
        is among the causes."""
        lapsed = self.lapsed(member_key)
        return f"{lapsed}; no other present group holds this user (R5)" if lapsed else None


def expiry_view(desired: Desired, now: datetime | None) -> ExpiryView:
    """The expired memberships at `now`, and a notice for each expiry ahead within
    `tenant.expiry_warning_days`. Without a time, nothing expires, and a plan that has
    expiries to judge says so."""
    declared = list(declared_expiries(desired))
    if not declared:
        return ExpiryView(now=now)
    if now is None:
        notice = Notice(
            NoticeKind.EXPIRING,
            "tenant",
            f"planned without a time: the {len(declared)} declared expiries were not "
            "judged (R24); plan with a time (the command line always gives one)",
        )
        return ExpiryView(now=None, notices=(notice,))
    horizon = now + timedelta(days=desired.tenant.expiry_warning_days)
    expired: dict[str, dict[str, Expiring]] = {}
    notices: list[Notice] = []
    lapsed_users: dict[str, Expiring] = {}
    for expiring in declared:
        if not expiring.expiry.passed(now):
            if expiring.expiry.at <= horizon:
                notices.append(_upcoming(expiring, now))
        elif expiring.group is None:
            lapsed_users[email_key(expiring.email)] = expiring
        else:
            expired.setdefault(expiring.group, {})[email_key(expiring.email)] = expiring
    if lapsed_users:  # one pass over the memberships, only when a user's access ended
        for group_key, group in desired.groups.items():
            for key in lapsed_users.keys() & set(group.members) if group.present else ():
                # the user's own expiry wins: it ends all of their access
                expired.setdefault(group_key, {})[key] = lapsed_users[key]
    names = {key: desired.groups[key].name for key in expired}
    return ExpiryView(now=now, expired=expired, notices=tuple(notices), group_names=names)


def _upcoming(expiring: Expiring, now: datetime) -> Notice:
    where = f"; declared at {expiring.expiry.location}" if expiring.expiry.location else ""
    return Notice(
        NoticeKind.EXPIRING,
        expiring.email,
        f"{expiring.what} expires {expiring.expiry.text} "
        f"({describe_delay(expiring.expiry.at - now)}{where}); it is removed then (R24)",
    )


# -- apply --only-expired -------------------------------------------------------------------


def _expired_pairs(plan: Plan) -> tuple[dict[tuple[str, str], Expiration], dict[str, Expiration]]:
    """(user key, group key) -> expired membership; user key -> the user's own expiry."""
    memberships: dict[tuple[str, str], Expiration] = {}
    users: dict[str, Expiration] = {}
    for expiration in plan.expired:
        if expiration.group is None:
            users[expiration.key] = expiration
        else:
            memberships[(expiration.key, expiration.group)] = expiration
    return memberships, users


def expiry_operations(plan: Plan) -> tuple[Operation, ...]:
    """The part of `plan` that expiry causes (R24): removals of expired memberships and
    the deactivations that follow them, each cut down to that change alone. Everything
    else (creates, renames, other removals...) is left for the reviewed apply."""
    memberships, users = _expired_pairs(plan)
    if not memberships and not users:
        return ()
    expired_users = users.keys() | {user for user, _ in memberships}
    kept: list[Operation] = []
    for op in plan.operations:
        if isinstance(op, UpdateGroup):
            removed = tuple(
                ref
                for ref in op.remove_members
                if ref.key in users or (ref.key, op.key) in memberships
            )
            if removed:
                kept.append(_removals_only(op, removed, memberships, users))
        elif isinstance(op, UpdateUser) and op.is_deactivation:
            reasons = tuple(r for r in op.reasons if "(R24)" in r)
            if (
                op.key in expired_users and reasons
            ):  # deactivated because its last membership expired
                kept.append(replace(op, display_name=None, reasons=reasons))
    return tuple(kept)


def _removals_only(
    op: UpdateGroup,
    removed: tuple[MemberRef, ...],
    memberships: Mapping[tuple[str, str], Expiration],
    users: Mapping[str, Expiration],
) -> UpdateGroup:
    reasons = []
    for ref in removed:
        expiration = users.get(ref.key) or memberships[(ref.key, op.key)]
        what = "access" if expiration.group is None else "membership"
        reasons.append(f"{ref.email}: {what} expired {expiration.expires} (R24)")
    return UpdateGroup(
        key=op.key,
        id=op.id,
        name=op.rename[0] if op.rename is not None else op.name,  # the rename waits
        remove_members=removed,
        reasons=tuple(reasons),
    )


def only_expired(plan: Plan, *, desired: Desired, live: Live) -> Plan:
    """`plan` cut down to `expiry_operations`, with its safety gates judged again on
    what is left (R20), and a notice counting the changes left for the reviewed path."""
    operations = expiry_operations(plan)
    notices = list(plan.notices)
    others = len(plan.operations) - len(operations)
    originals = {(op.action, op.key): replace(op, reasons=()) for op in plan.operations}
    # operations cut down to their expiry part: the rest of each waits as well
    split = sum(1 for op in operations if originals[(op.action, op.key)] != replace(op, reasons=()))
    if others or split:
        parts = f" and the other parts of {plural(split, 'operation')}" if split else ""
        notices.append(
            Notice(
                NoticeKind.LEFT_PENDING,
                "apply --only-expired",
                "only the changes expiry causes are applied (R24); left for the reviewed "
                f"apply: {plural(others, 'other operation')}{parts}",
            )
        )
    return replace(
        plan,
        operations=operations,
        notices=tuple(sorted(notices)),
        safety=compute_safety(desired=desired, live=live, operations=operations),
    )
