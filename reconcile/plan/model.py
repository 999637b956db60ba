"""The Plan as data: operations, notices, safety gates and the summary.

Everything is a small frozen dataclass with a fixed sort order so that a plan is
deterministic: the same inputs, in any order, give the same plan and the same JSON.
Renderers and the applier read a Plan; neither recomputes anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Protocol

from reconcile.audit import EventType
from reconcile.identity import email_key

FORMAT_VERSION = 1


class Action(StrEnum):
    CREATE_USER = "create_user"
    UPDATE_USER = "update_user"
    CREATE_GROUP = "create_group"
    UPDATE_GROUP = "update_group"
    DELETE_GROUP = "delete_group"


class Kind(StrEnum):
    """What an operation does, in the order reports list them. Deactivations and
    reactivations are update_user operations, their own kinds because they change who
    can sign in."""

    CREATE_USER = "create_user"
    REACTIVATE_USER = "reactivate_user"
    UPDATE_USER = "update_user"
    CREATE_GROUP = "create_group"
    UPDATE_GROUP = "update_group"
    DEACTIVATE_USER = "deactivate_user"
    DELETE_GROUP = "delete_group"


class Phase(StrEnum):
    """R19: grants land before revocations; users exist before groups reference them."""

    CREATE_USERS = "create_users"
    UPDATE_USERS = "update_users"  # renames and reactivations
    GROUPS = "groups"  # create groups, update groups (rename, adds, removals)
    DEACTIVATE_USERS = "deactivate_users"
    DELETE_GROUPS = "delete_groups"

    @property
    def order(self) -> int:
        return _PHASE_ORDER[self]

    @property
    def heading(self) -> str:
        return _PHASE_TITLES[self]


PHASES: tuple[Phase, ...] = tuple(Phase)
_PHASE_ORDER = {phase: index for index, phase in enumerate(PHASES)}
_PHASE_TITLES = {
    Phase.CREATE_USERS: "Create users",
    Phase.UPDATE_USERS: "Update and reactivate users",
    Phase.GROUPS: "Create and update groups",
    Phase.DEACTIVATE_USERS: "Deactivate users",
    Phase.DELETE_GROUPS: "Delete groups",
}
_ACTION_ORDER = {action: index for index, action in enumerate(Action)}


class _Sortable(Protocol):
    action: ClassVar[Action]

    @property
    def phase(self) -> Phase: ...

    @property
    def key(self) -> str: ...


class _Ordered:
    """The fixed order of operations: phase (R19), then action, then user or group key."""

    __slots__ = ()

    @property
    def sort_key(self: _Sortable) -> tuple[int, int, str]:
        return (self.phase.order, _ACTION_ORDER[self.action], self.key)


class _HasEmail(Protocol):
    @property
    def email(self) -> str: ...


class _HasKey(Protocol):
    @property
    def key(self) -> str: ...


class _UserOperation(_Ordered):
    """What every user operation says about its subject: the user, by e-mail."""

    __slots__ = ()

    @property
    def key(self: _HasEmail) -> str:
        return email_key(self.email)

    @property
    def subject(self: _HasEmail) -> str:
        """The user's e-mail (audit events, apply outcomes)."""
        return self.email

    @property
    def subject_label(self: _HasEmail) -> str:
        """The subject as reports show it."""
        return self.email


class _GroupOperation(_Ordered):
    """What every group operation says about its subject: the group, by declared key."""

    __slots__ = ()

    @property
    def subject(self: _HasKey) -> str:
        """The group's declared key (audit events, apply outcomes)."""
        return self.key

    @property
    def subject_label(self: _HasKey) -> str:
        """The subject as reports show it: `group KEY`."""
        return f"group {self.key}"


@dataclass(frozen=True, slots=True, order=True)
class MemberRef:
    """A user referenced by a group operation: by e-mail, with the live id when known.

    The id is None for a user created earlier in the same plan: the applier resolves
    it from the create_user outcome (R19 puts user creation first).
    """

    email: str
    id: str | None = None

    @property
    def key(self) -> str:
        return email_key(self.email)


@dataclass(frozen=True, slots=True)
class CreateUser(_UserOperation):
    """R2: a bound user who should be active and does not exist live."""

    action: ClassVar[Action] = Action.CREATE_USER
    kind: ClassVar[Kind] = Kind.CREATE_USER
    audit_event: ClassVar[EventType] = EventType.USER_CREATE
    email: str
    display_name: str  # the effective name (R14)
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None  # create-only (R15)
    reasons: tuple[str, ...] = ()

    @property
    def phase(self) -> Phase:
        return Phase.CREATE_USERS


@dataclass(frozen=True, slots=True)
class UpdateUser(_UserOperation):
    """One write for a changed user (R18): a rename, a (re)activation, or both.

    `display_name` and `active` are `(before, after)` pairs, None when unchanged.
    A deactivation (active True -> False) runs in the deactivate phase, everything else
    in the update phase (R19).
    """

    action: ClassVar[Action] = Action.UPDATE_USER
    email: str
    id: str
    display_name: tuple[str, str] | None = None
    active: tuple[bool, bool] | None = None
    reasons: tuple[str, ...] = ()

    @property
    def is_deactivation(self) -> bool:
        return self.active == (True, False)

    @property
    def is_reactivation(self) -> bool:
        return self.active == (False, True)

    @property
    def phase(self) -> Phase:
        return Phase.DEACTIVATE_USERS if self.is_deactivation else Phase.UPDATE_USERS

    @property
    def kind(self) -> Kind:
        if self.is_deactivation:
            return Kind.DEACTIVATE_USER
        return Kind.REACTIVATE_USER if self.is_reactivation else Kind.UPDATE_USER

    @property
    def audit_event(self) -> EventType:
        return EventType.USER_DEPROVISION if self.is_deactivation else EventType.USER_UPDATE


@dataclass(frozen=True, slots=True)
class CreateGroup(_GroupOperation):
    """A declared present group with members and no live match; carries its members (R18)."""

    action: ClassVar[Action] = Action.CREATE_GROUP
    kind: ClassVar[Kind] = Kind.CREATE_GROUP
    audit_event: ClassVar[EventType] = EventType.GROUP_CREATE
    key: str
    name: str
    members: tuple[MemberRef, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def phase(self) -> Phase:
        return Phase.GROUPS


@dataclass(frozen=True, slots=True)
class UpdateGroup(_GroupOperation):
    """One PATCH per managed group: rename (R8), then adds, then removals (R12, R19)."""

    action: ClassVar[Action] = Action.UPDATE_GROUP
    kind: ClassVar[Kind] = Kind.UPDATE_GROUP
    audit_event: ClassVar[EventType] = EventType.GROUP_UPDATE
    key: str
    id: str
    name: str  # the name after this operation
    rename: tuple[str, str] | None = None
    add_members: tuple[MemberRef, ...] = ()
    remove_members: tuple[MemberRef, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def phase(self) -> Phase:
        return Phase.GROUPS


@dataclass(frozen=True, slots=True)
class DeleteGroup(_GroupOperation):
    """R9: a declared group with `state: deleted` that still exists live."""

    action: ClassVar[Action] = Action.DELETE_GROUP
    kind: ClassVar[Kind] = Kind.DELETE_GROUP
    audit_event: ClassVar[EventType] = EventType.GROUP_DELETE
    key: str
    id: str
    name: str
    reasons: tuple[str, ...] = ()

    @property
    def phase(self) -> Phase:
        return Phase.DELETE_GROUPS


Operation = CreateUser | UpdateUser | CreateGroup | UpdateGroup | DeleteGroup


class NoticeKind(StrEnum):
    PAUSED = "paused"  # R16
    SKIPPED_EMPTY_GROUP = "skipped_empty_group"  # R6
    SKIPPED_INACTIVE_USER = "skipped_inactive_user"  # bound, suspended/expired, not live
    UNBOUND_USER = "unbound_user"  # declared, in no present group, not live: not created (R2)
    UNMANAGED_USER = "unmanaged_user"  # R13
    UNMANAGED_GROUP = "unmanaged_group"  # R10
    GROUP_MANAGEMENT_OFF = "group_management_off"  # R11
    EMAIL_CHANGE_UNSUPPORTED = "email_change_unsupported"  # R15 heuristic
    SSO_NOT_SENT = "sso_not_sent"  # the service does not take the SsoUser extension
    EXPIRING = "expiring"  # R24: an expiry within tenant.expiry_warning_days
    LEFT_PENDING = "left_pending"  # R24: apply --only-expired leaves the other changes
    # Blocking problems are raised as PlanningError diagnostics with these kinds.
    AMBIGUOUS_GROUP = "ambiguous_group"  # R7


@dataclass(frozen=True, slots=True, order=True)
class Notice:
    """Something a reviewer should know that is not an operation."""

    kind: NoticeKind
    subject: str  # e-mail, group key or live group name the notice is about
    message: str


@dataclass(frozen=True, slots=True, order=True)
class Expiration:
    """R24: access that counted as absent in this plan because its expiry had passed.

    `group` is the key of the group whose membership expired, or None when the user's own
    `expires` passed (then every membership of the user counts as absent).
    """

    email: str
    group: str | None
    expires: str  # as written in the YAML: what the plan's reasons show

    @property
    def key(self) -> str:
        return email_key(self.email)


class Gate(StrEnum):
    """R20 safety gates, computed here, enforced by apply."""

    MAX_DEACTIVATIONS = "max_deactivations"
    MAX_DEACTIVATION_PERCENT = "max_deactivation_percent"
    MAX_GROUP_DELETIONS = "max_group_deletions"
    MAX_REMOVALS_PER_GROUP = "max_removals_per_group"
    MAX_REMOVAL_PERCENT_PER_GROUP = "max_removal_percent_per_group"
    EMPTY_DESIRED = "empty_desired"


# The gates `--allow-deactivations N` may override (up to N deactivations).
DEACTIVATION_GATES = frozenset({Gate.MAX_DEACTIVATIONS, Gate.MAX_DEACTIVATION_PERCENT})


GateValue = int | float | bool


@dataclass(frozen=True, slots=True)
class GateResult:
    gate: Gate
    value: GateValue
    limit: GateValue
    passes: bool
    detail: str  # one sentence: what was counted and against what


@dataclass(frozen=True, slots=True)
class Summary:
    """Operation counts. Deactivations and reactivations are update_user operations,
    also counted on their own so that a reviewer sees them at a glance."""

    create_user: int = 0
    update_user: int = 0
    create_group: int = 0
    update_group: int = 0
    delete_group: int = 0
    deactivations: int = 0
    reactivations: int = 0

    @property
    def total(self) -> int:
        return (
            self.create_user
            + self.update_user
            + self.create_group
            + self.update_group
            + self.delete_group
        )

    @property
    def to_create(self) -> int:
        return self.create_user + self.create_group

    @property
    def to_update(self) -> int:
        """Updates other than deactivations (those have their own count)."""
        return self.update_user - self.deactivations + self.update_group

    @property
    def to_deactivate(self) -> int:
        return self.deactivations

    @property
    def to_delete(self) -> int:
        return self.delete_group

    def line(self) -> str:
        """Terraform-like: `Plan: 3 to create, 2 to update, 1 to deactivate, 0 to delete.`"""
        return (
            f"Plan: {self.to_create} to create, {self.to_update} to update, "
            f"{self.to_deactivate} to deactivate, {self.to_delete} to delete."
        )

    @classmethod
    def of(cls, operations: tuple[Operation, ...]) -> Summary:
        counts = dict.fromkeys(Action, 0)
        deactivations = reactivations = 0
        for op in operations:
            counts[op.action] += 1
            if isinstance(op, UpdateUser):
                deactivations += op.is_deactivation
                reactivations += op.is_reactivation
        return cls(
            create_user=counts[Action.CREATE_USER],
            update_user=counts[Action.UPDATE_USER],
            create_group=counts[Action.CREATE_GROUP],
            update_group=counts[Action.UPDATE_GROUP],
            delete_group=counts[Action.DELETE_GROUP],
            deactivations=deactivations,
            reactivations=reactivations,
        )


@dataclass(frozen=True, slots=True, repr=False)
class Plan:
    """What apply will do, why, and whether it is safe to do it.

    `operations` are sorted by phase (R19), then action, then user key / group key.
    `live_fingerprint` lets apply refuse a stale plan (R21). `desired_state` is the folder
    (or file) it was planned from, relative to the working directory, set by the command
    line (the planner knows no paths) so that `apply --plan FILE` can find it again.
    """

    target: str
    live_fingerprint: str
    desired_fingerprint: str
    operations: tuple[Operation, ...]
    notices: tuple[Notice, ...]
    safety: tuple[GateResult, ...]
    desired_state: str | None = None
    # R24: the time the plan was made for (None: planned without one, so no expiries), and
    # the expiries that had passed by then.
    now: datetime | None = None
    expired: tuple[Expiration, ...] = ()

    def __repr__(self) -> str:
        # A summary, like Live's: the full repr of a large plan is slow and unreadable.
        return f"Plan({self.target!r}: {self.summary.line()})"

    @property
    def summary(self) -> Summary:
        return Summary.of(self.operations)

    @property
    def has_changes(self) -> bool:
        return bool(self.operations)

    @property
    def passes_safety(self) -> bool:
        return all(gate.passes for gate in self.safety)

    @property
    def failed_gates(self) -> tuple[GateResult, ...]:
        return tuple(gate for gate in self.safety if not gate.passes)

    def gate(self, gate: Gate) -> GateResult:
        for result in self.safety:
            if result.gate is gate:
                return result
        raise KeyError(gate)

    def in_phase(self, phase: Phase) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.phase is phase)

    def by_phase(self) -> Iterator[tuple[Phase, tuple[Operation, ...]]]:
        """Non-empty phases in execution order, with their operations."""
        for phase in PHASES:
            ops = self.in_phase(phase)
            if ops:
                yield phase, ops

    def notices_of(self, kind: NoticeKind) -> tuple[Notice, ...]:
        return tuple(n for n in self.notices if n.kind is kind)
