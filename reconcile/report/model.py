"""The access report as data: users, their memberships, and the evidence for each.

Built from what the other layers already computed: the loaded desired state, the live
state, the plan (its operations and notices are the mismatches: nothing is re-compared
here) and, when the folder is in git, the history walk. Renderers read a `Report` and
never recompute anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from reconcile.desired.model import Desired, DesiredUser
from reconcile.identity import email_key
from reconcile.live.model import Live
from reconcile.plan.model import (
    CreateGroup,
    CreateUser,
    DeleteGroup,
    NoticeKind,
    Plan,
    UpdateGroup,
    UpdateUser,
)
from reconcile.report.expiry import membership_expires, user_expires, warning_window
from reconcile.report.git import Commit
from reconcile.report.history import Event, EventKind, History, Point

REPORT_FORMAT_VERSION = 1


class State(StrEnum):
    ACTIVE = "active"
    EXPIRING_SOON = "expiring soon"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


class LiveMembership(StrEnum):
    YES = "yes"  # live as declared
    MISSING = "missing"  # declared, not live (the plan adds it)
    LIVE_ONLY = "live only"  # live, not declared (the plan removes it)
    NOT_COMPARED = "not compared"  # manage_groups: false (R11)


@dataclass(frozen=True, slots=True)
class Row:
    """One user in one group (or in none: `group` is "")."""

    email: str
    name: str
    group: str  # group key ("" for a user in no group)
    group_name: str
    state: State
    declared: bool  # the membership is in the desired state
    live: LiveMembership | None  # None for a user in no group
    since: Commit | None  # the commit that granted it (None: no history, or uncommitted)
    expires: datetime | None


@dataclass(frozen=True, slots=True)
class UserEntry:
    email: str
    name: str
    state: State
    declared: bool
    live_active: bool | None  # None: not live
    live_name: str | None
    expires: datetime | None
    mismatches: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GroupCard:
    key: str
    name: str
    members: tuple[Row, ...]
    mismatches: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    active_users: int
    users: int
    groups: int
    memberships: int
    grants: int
    removals: int
    mismatches: int


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: datetime
    source: str  # where the live state came from
    period_start: datetime | None
    history_note: str | None  # why there is no history, when there is none
    summary: Summary
    users: tuple[UserEntry, ...]
    rows: tuple[Row, ...]
    groups: tuple[GroupCard, ...]
    events: tuple[Event, ...]
    series: tuple[Point, ...]
    commits: int
    notes: tuple[str, ...]  # unreadable files in history, unmanaged live groups, ...


@dataclass(slots=True)
class _Facts:
    """The plan's operations and notices, indexed by what the report asks about them."""

    user_mismatches: dict[str, list[str]]  # e-mail key -> messages
    missing: set[tuple[str, str]]  # (group key, e-mail key) declared but not live
    live_only: dict[str, list[tuple[str, str]]]  # group key -> [(e-mail key, e-mail)]
    group_mismatches: dict[str, list[str]]
    notes: list[str]


def _facts(plan: Plan) -> _Facts:
    facts = _Facts({}, set(), {}, {}, [])
    for op in plan.operations:
        if isinstance(op, CreateUser):
            facts.user_mismatches.setdefault(op.key, []).append("declared, not in TeamViewer")
        elif isinstance(op, UpdateUser):
            facts.user_mismatches.setdefault(op.key, []).extend(_user_drift(op))
        elif isinstance(op, CreateGroup):
            facts.group_mismatches.setdefault(op.key, []).append("not in TeamViewer yet")
            facts.missing.update((op.key, m.key) for m in op.members)
        elif isinstance(op, UpdateGroup):
            if op.rename:
                facts.group_mismatches.setdefault(op.key, []).append(
                    f"named '{op.rename[0]}' in TeamViewer"
                )
            facts.missing.update((op.key, m.key) for m in op.add_members)
            facts.live_only.setdefault(op.key, []).extend(
                (m.key, m.email) for m in op.remove_members
            )
        elif isinstance(op, DeleteGroup):
            facts.notes.append(f"group '{op.name}' is marked deleted but still in TeamViewer")
    for notice in plan.notices:
        if notice.kind is NoticeKind.UNMANAGED_USER:
            facts.user_mismatches.setdefault(email_key(notice.subject), []).append(
                "in TeamViewer, not declared"
            )
        elif notice.kind in (NoticeKind.UNMANAGED_GROUP, NoticeKind.PAUSED):
            facts.notes.append(notice.message)
    return facts


def _user_drift(op: UpdateUser) -> list[str]:
    out = []
    if op.active is not None:
        live, wanted = op.active
        out.append(
            f"{'active' if live else 'inactive'} in TeamViewer, should be "
            f"{'active' if wanted else 'inactive'}"
        )
    if op.display_name is not None:
        out.append(f"named '{op.display_name[0]}' in TeamViewer, declared '{op.display_name[1]}'")
    return out


def _expiry_state(
    state: State, expires: datetime | None, *, now: datetime, window: timedelta
) -> State:
    """R24: past its expiry access counts as absent; within the window it is ending soon."""
    if state is not State.ACTIVE or expires is None or expires > now + window:
        return state
    return State.INACTIVE if expires <= now else State.EXPIRING_SOON


def _declared_state(user: DesiredUser, *, bound: bool, now: datetime, window: timedelta) -> State:
    if user.suspended:
        return State.SUSPENDED
    if user.password_expired or not bound:
        return State.INACTIVE
    return _expiry_state(State.ACTIVE, user_expires(user), now=now, window=window)


def build_report(
    *,
    desired: Desired,
    live: Live,
    plan: Plan,
    history: History | None,
    history_note: str | None,
    period_start: datetime | None,
    now: datetime,
) -> Report:
    """The report of `desired` against `live` (through `plan`), with `history` if any."""
    facts = _facts(plan)
    bound = {m for g in desired.groups.values() if g.present for m in g.members}
    since: Mapping[tuple[str, str], Commit] = history.since if history else {}
    window = warning_window(desired.tenant)
    users = [
        _declared_user(user, live, facts, bound=user.key in bound, now=now, window=window)
        for user in desired.users.values()
    ]
    users += _live_only_users(desired, live, facts)
    by_key = {email_key(u.email): u for u in users}
    rows = _group_rows(desired, live, by_key, facts, since=since, now=now, window=window)
    in_group = {email_key(r.email) for r in rows}
    rows += [
        _row(u, group="", group_name="", declared=u.declared, live=None, since=None)
        for u in users
        if email_key(u.email) not in in_group
    ]
    rows.sort(key=lambda r: (email_key(r.email), r.group))
    cards = _cards(desired, rows, facts)
    return _assemble(
        users=users,
        rows=rows,
        cards=cards,
        facts=facts,
        history=history,
        history_note=history_note,
        period_start=period_start,
        now=now,
        source=plan.target,
    )


def _group_rows(
    desired: Desired,
    live: Live,
    by_key: Mapping[str, UserEntry],
    facts: _Facts,
    *,
    since: Mapping[tuple[str, str], Commit],
    now: datetime,
    window: timedelta,
) -> list[Row]:
    """The rows of every present group: declared members, then live-only ones."""
    compared = desired.tenant.manage_groups
    rows: list[Row] = []
    for group in sorted(desired.groups.values(), key=lambda g: g.key):
        if not group.present:
            continue
        for member in group.members:
            user = by_key[member]
            live_state = LiveMembership.YES
            if not compared:
                live_state = LiveMembership.NOT_COMPARED
            elif (group.key, member) in facts.missing:
                live_state = LiveMembership.MISSING
            row = _row(
                user,
                group=group.key,
                group_name=group.name,
                declared=True,
                live=live_state,
                since=since.get((group.key, member)),
            )
            ends = membership_expires(group, member)
            if ends is not None and (row.expires is None or ends < row.expires):
                state = _expiry_state(row.state, ends, now=now, window=window)
                row = replace(row, expires=ends, state=state)
            rows.append(row)
        for key, email in facts.live_only.get(group.key, ()):
            user = by_key.get(key) or _bare_user(email, live)
            rows.append(
                _row(
                    user,
                    group=group.key,
                    group_name=group.name,
                    declared=False,
                    live=LiveMembership.LIVE_ONLY,
                    since=None,
                )
            )
    return rows


def _assemble(
    *,
    users: list[UserEntry],
    rows: list[Row],
    cards: tuple[GroupCard, ...],
    facts: _Facts,
    history: History | None,
    history_note: str | None,
    period_start: datetime | None,
    now: datetime,
    source: str,
) -> Report:
    events = history.events if history else ()
    users.sort(key=lambda u: email_key(u.email))
    mismatches = (
        sum(len(u.mismatches) for u in users)
        + sum(len(c.mismatches) for c in cards)
        + sum(1 for r in rows if r.live in (LiveMembership.MISSING, LiveMembership.LIVE_ONLY))
    )
    summary = Summary(
        active_users=sum(u.state in (State.ACTIVE, State.EXPIRING_SOON) for u in users),
        users=len(users),
        groups=len(cards),
        memberships=sum(1 for r in rows if r.group and r.declared),
        grants=sum(e.kind is EventKind.GRANT for e in events),
        removals=sum(e.kind is EventKind.REMOVAL for e in events),
        mismatches=mismatches,
    )
    notes = [*(history.notes if history else ()), *facts.notes]
    uncommitted = sum(1 for r in rows if r.group and r.declared and r.since is None)
    if history is not None and uncommitted:
        notes.append(
            f"{uncommitted} declared memberships are in no commit yet (changed in the working "
            "tree): commit them to have them approved"
        )
    return Report(
        generated_at=now,
        source=source,
        period_start=period_start,
        history_note=history_note,
        summary=summary,
        users=tuple(users),
        rows=tuple(rows),
        groups=cards,
        events=events,
        series=history.series if history else (),
        commits=history.commits if history else 0,
        notes=tuple(notes),
    )


def _declared_user(
    user: DesiredUser, live: Live, facts: _Facts, *, bound: bool, now: datetime, window: timedelta
) -> UserEntry:
    found = live.users_by_email.get(user.key)
    return UserEntry(
        email=user.email,
        name=user.effective_name,
        state=_declared_state(user, bound=bound, now=now, window=window),
        declared=True,
        live_active=found.active if found else None,
        live_name=found.display_name if found else None,
        expires=user_expires(user),
        mismatches=tuple(facts.user_mismatches.get(user.key, ())),
    )


def _bare_user(email: str, live: Live) -> UserEntry:
    found = live.users_by_email.get(email_key(email))
    return UserEntry(
        email=found.email if found else email,
        name=found.display_name if found else "",
        state=State.ACTIVE if found and found.active else State.INACTIVE,
        declared=False,
        live_active=found.active if found else None,
        live_name=found.display_name if found else None,
        expires=None,
        mismatches=("in TeamViewer, not declared",),
    )


def _live_only_users(desired: Desired, live: Live, facts: _Facts) -> list[UserEntry]:
    """Live users the desired state does not declare (the plan's R13 notices)."""
    out = []
    for key in facts.user_mismatches:
        if key not in desired.users and key in live.users_by_email:
            out.append(_bare_user(live.users_by_email[key].email, live))
    return out


def _row(
    user: UserEntry,
    *,
    group: str,
    group_name: str,
    declared: bool,
    live: LiveMembership | None,
    since: Commit | None,
) -> Row:
    return Row(
        email=user.email,
        name=user.name,
        group=group,
        group_name=group_name,
        state=user.state,
        declared=declared,
        live=live,
        since=since,
        expires=user.expires,
    )


def _cards(desired: Desired, rows: list[Row], facts: _Facts) -> tuple[GroupCard, ...]:
    members: dict[str, list[Row]] = {}
    for row in rows:
        if row.group:
            members.setdefault(row.group, []).append(row)
    return tuple(
        GroupCard(
            key=group.key,
            name=group.name,
            members=tuple(members.get(group.key, ())),
            mismatches=tuple(facts.group_mismatches.get(group.key, ())),
        )
        for group in sorted(desired.groups.values(), key=lambda g: g.key)
        if group.present
    )
