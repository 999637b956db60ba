"""Who loses access and who gains it: a plan's consequences for people, read off its
operations (derived like the summary, never planned separately).

Reviewers read these first (text, Markdown, the PR comment) and tools read them from the
JSON plan: each user to be deactivated with the one-line reason the planner gave, each
membership removal counted per group, deleted groups, and the same for access gained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconcile.plan.model import CreateGroup, CreateUser, DeleteGroup, Plan, UpdateGroup, UpdateUser


@dataclass(frozen=True, slots=True)
class UserAccess:
    """One user losing or gaining access, with the planner's reason in one line."""

    email: str
    reason: str
    action: str  # "deactivate", "create" or "reactivate"


@dataclass(frozen=True, slots=True)
class GroupAccess:
    """Members one group loses (or gains) in this plan."""

    key: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class Consequences:
    loses_users: tuple[UserAccess, ...] = ()
    loses_memberships: tuple[GroupAccess, ...] = ()  # by group key
    deleted_groups: tuple[GroupAccess, ...] = ()  # count: unknown from the plan, 0
    gains_users: tuple[UserAccess, ...] = ()
    gains_memberships: tuple[GroupAccess, ...] = ()

    @property
    def removed(self) -> int:
        return sum(g.count for g in self.loses_memberships)

    @property
    def added(self) -> int:
        return sum(g.count for g in self.gains_memberships)

    @property
    def anyone_loses(self) -> bool:
        return bool(self.loses_users or self.loses_memberships or self.deleted_groups)

    @property
    def anyone_gains(self) -> bool:
        return bool(self.gains_users or self.gains_memberships)


def _reason(reasons: tuple[str, ...]) -> str:
    # The planner puts the reason for the (de)activation or creation first.
    return " ".join(reasons[0].split()) if reasons else ""


def consequences_of(plan: Plan) -> Consequences:
    loses: list[UserAccess] = []
    gains: list[UserAccess] = []
    removed: list[GroupAccess] = []
    added: list[GroupAccess] = []
    deleted: list[GroupAccess] = []
    for op in plan.operations:
        if isinstance(op, CreateUser):
            gains.append(UserAccess(op.email, _reason(op.reasons), "create"))
        elif isinstance(op, UpdateUser) and op.is_deactivation:
            loses.append(UserAccess(op.email, _reason(op.reasons), "deactivate"))
        elif isinstance(op, UpdateUser) and op.is_reactivation:
            gains.append(UserAccess(op.email, _reason(op.reasons), "reactivate"))
        elif isinstance(op, CreateGroup):
            added.append(GroupAccess(op.key, op.name, len(op.members)))
        elif isinstance(op, UpdateGroup):
            if op.add_members:
                added.append(GroupAccess(op.key, op.name, len(op.add_members)))
            if op.remove_members:
                removed.append(GroupAccess(op.key, op.name, len(op.remove_members)))
        elif isinstance(op, DeleteGroup):
            deleted.append(GroupAccess(op.key, op.name, 0))
    return Consequences(
        loses_users=tuple(loses),
        loses_memberships=tuple(removed),
        deleted_groups=tuple(deleted),
        gains_users=tuple(gains),
        gains_memberships=tuple(added),
    )


def consequences_to_dict(consequences: Consequences) -> dict[str, Any]:
    """The JSON block (docs/plan-format.md): users with reasons, memberships counted."""

    def users(items: tuple[UserAccess, ...]) -> list[dict[str, str]]:
        return [{"email": u.email, "reason": u.reason, "action": u.action} for u in items]

    def groups(items: tuple[GroupAccess, ...]) -> list[dict[str, Any]]:
        return [{"key": g.key, "name": g.name, "members": g.count} for g in items]

    return {
        "loses_access": {
            "users": users(consequences.loses_users),
            "memberships": groups(consequences.loses_memberships),
            "deleted_groups": [{"key": g.key, "name": g.name} for g in consequences.deleted_groups],
        },
        "gains_access": {
            "users": users(consequences.gains_users),
            "memberships": groups(consequences.gains_memberships),
        },
    }


# -- shared wording for the text and Markdown renderers --------------------------------------

MAX_LISTED = 20  # lines per list before "and N more", in text and Markdown alike


@dataclass(frozen=True, slots=True)
class Line:
    subject: str  # an e-mail, or a group's name
    group_key: str | None  # set when the subject is a group
    detail: str


def _members(count: int, verb: str) -> str:
    return f"{count} member{'' if count == 1 else 's'} {verb}"


def loss_headline(c: Consequences) -> str:
    parts = [
        _count(len(c.loses_users), "user", "deactivated"),
        _count(c.removed, "membership", "removed"),
        _count(len(c.deleted_groups), "group", "deleted"),
    ]
    return ", ".join(p for p in parts if p) or "nobody"


def gain_headline(c: Consequences) -> str:
    created = sum(1 for u in c.gains_users if u.action == "create")
    parts = [
        _count(created, "user", "created"),
        _count(len(c.gains_users) - created, "user", "reactivated"),
        _count(c.added, "membership", "added"),
    ]
    return ", ".join(p for p in parts if p) or "nobody"


def _count(n: int, noun: str, verb: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'} {verb}" if n else ""


def loss_lines(c: Consequences) -> list[Line]:
    lines = [Line(u.email, None, u.reason) for u in c.loses_users]
    lines += [Line(g.name, g.key, _members(g.count, "removed")) for g in c.loses_memberships]
    lines += [Line(g.name, g.key, "deleted: its members lose it") for g in c.deleted_groups]
    return lines


def gain_lines(c: Consequences) -> list[Line]:
    lines = [Line(u.email, None, u.reason) for u in c.gains_users]
    lines += [Line(g.name, g.key, _members(g.count, "added")) for g in c.gains_memberships]
    return lines
