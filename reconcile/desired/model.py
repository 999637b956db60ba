"""The desired state: what the YAML files declare, merged and validated.

Plain frozen dataclasses (not pydantic) because the planner walks 100k users and
1M memberships: attribute access on slotted dataclasses is the cheapest there is.
The strict YAML schema itself lives in `schema.py` (pydantic); this is its output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from functools import total_ordering
from types import MappingProxyType
from typing import cast

from reconcile.canonical import NUL, Record, digest, joined, rows
from reconcile.identity import email_key


@total_ordering
class Location:
    """Where something was declared: for `FILE:LINE:COLUMN: message` diagnostics.

    A location may be deferred (`Location.deferred(file, find)`): its line and column come
    from `find()` the first time either is read. The loader hands out deferred locations so
    that 100k users cost no position lookups unless a message needs one, and so that a file
    read by the fast reader (which keeps no positions) is read again, exactly, only then.
    Compared, hashed and ordered as (file, line, column), like the dataclass it replaces.
    """

    __slots__ = ("_column", "_find", "_line", "file")

    def __init__(
        self,
        file: str,
        line: int,
        column: int,
        find: Callable[[], tuple[int, int]] | None = None,
    ) -> None:
        self.file = file
        self._line = line  # 1-based
        self._column = column  # 1-based
        self._find = find  # if given: line and column are find()'s, worked out when read

    @classmethod
    def deferred(cls, file: str, find: Callable[[], tuple[int, int]]) -> Location:
        return cls(file, 0, 0, find)

    def _resolve(self) -> None:
        find = self._find
        if find is not None:
            self._line, self._column = find()
            self._find = None

    @property
    def line(self) -> int:
        self._resolve()
        return self._line

    @property
    def column(self) -> int:
        self._resolve()
        return self._column

    def _key(self) -> tuple[str, int, int]:
        return (self.file, self.line, self.column)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Location):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Location):
            return NotImplemented
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Location(file={self.file!r}, line={self.line!r}, column={self.column!r})"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True, order=True)
class Expiry:
    """When access ends. `at` is the first instant without access (UTC); `text` is the
    value as written, which is what plans and reports show."""

    at: datetime
    text: str
    location: Location | None = field(default=None, compare=False)

    def passed(self, now: datetime) -> bool:
        return now >= self.at


class UnmanagedUsers(StrEnum):
    IGNORE = "ignore"
    DEACTIVATE = "deactivate"


class GroupState(StrEnum):
    PRESENT = "present"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Safety:
    """R20 thresholds; the apply refuses a plan above any of them."""

    max_deactivations: int = 10
    max_deactivation_percent: float = 20.0
    max_group_deletions: int = 3
    max_removals_per_group: int = 10
    max_removal_percent_per_group: float = 50.0


@dataclass(frozen=True, slots=True)
class Service:
    """What the engine knows up front about the SCIM service (not part of any plan)."""

    # Member values one group request carries at most; None: the client's default. A
    # smaller limit the service shows (a 413) is learnt during the run either way.
    max_members_per_request: int | None = None


@dataclass(frozen=True, slots=True)
class Tenant:
    sso_customer_id: str | None = None
    manage_groups: bool = True
    unmanaged_users: UnmanagedUsers = UnmanagedUsers.IGNORE
    enabled: bool = True
    safety: Safety = field(default_factory=Safety)
    expiry_warning_days: int = 7  # R24: plans announce expiries this many days ahead
    protected_users: frozenset[str] = frozenset()  # R23: e-mail keys never deactivated
    service: Service = field(default_factory=Service)
    # Where each tenant key was set (key name -> location), for messages that cite it.
    locations: Mapping[str, Location] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )


@dataclass(frozen=True, slots=True)
class DesiredUser:
    email: str  # as written (trimmed); identity is `key`
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    suspended: bool = False
    password_expired: bool = False
    language: str | None = None
    expires: Expiry | None = None  # R24: all of this user's access ends then
    location: Location | None = field(default=None, compare=False)
    # R14: display_name, else "first last" (validation guarantees one exists). Derived
    # once here: the planner reads it for every declared user.
    effective_name: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        name = effective_name(self.first_name, self.last_name, self.display_name)
        object.__setattr__(self, "effective_name", name)

    @property
    def key(self) -> str:
        return email_key(self.email)

    @property
    def should_be_active(self) -> bool:
        """R3, for a bound user."""
        return not (self.suspended or self.password_expired)


def effective_name(first_name: str | None, last_name: str | None, display_name: str | None) -> str:
    """R14: display_name, else "first last"."""
    if display_name and display_name.strip():
        return display_name.strip()
    return f"{(first_name or '').strip()} {(last_name or '').strip()}".strip()


# The slots of DesiredUser in field order, set directly: see `desired_user`.
_USER_SLOTS = tuple(getattr(DesiredUser, f.name).__set__ for f in fields(DesiredUser))


def desired_user(
    email: str,
    first_name: str | None,
    last_name: str | None,
    display_name: str | None,
    suspended: bool,
    password_expired: bool,
    language: str | None,
    expires: Expiry | None,
    location: Location | None,
    name: str,
) -> DesiredUser:
    """`DesiredUser(...)` for the loader, with `effective_name(...)` already worked out as
    `name`: the same object at half the cost (a frozen dataclass sets each field through
    `object.__setattr__`; this sets the slots directly), which is 0.1 s at 100k users."""
    user = object.__new__(DesiredUser)
    (s_email, s_first, s_last, s_display, s_suspended, s_expired, s_language, s_expires,
     s_location, s_name) = _USER_SLOTS  # fmt: skip
    s_email(user, email)
    s_first(user, first_name)
    s_last(user, last_name)
    s_display(user, display_name)
    s_suspended(user, suspended)
    s_expired(user, password_expired)
    s_language(user, language)
    s_expires(user, expires)
    s_location(user, location)
    s_name(user, name)
    return user


NO_EXPIRIES: Mapping[str, Expiry] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class DesiredGroup:
    key: str  # stable key used in files and reports
    name: str  # displayName in TeamViewer
    id: str | None = None  # optional pin to a live group
    renamed_from: tuple[str, ...] = ()
    state: GroupState = GroupState.PRESENT
    members: tuple[str, ...] = ()  # e-mail keys (email_key), sorted by the loader
    # R24: member key -> when that membership ends (only members written with `expires`)
    expiries: Mapping[str, Expiry] = field(default_factory=lambda: NO_EXPIRIES, hash=False)
    location: Location | None = field(default=None, compare=False)

    @property
    def present(self) -> bool:
        return self.state is GroupState.PRESENT


@dataclass(frozen=True, slots=True, repr=False)
class Desired:
    """Merged desired state. `users` is keyed by email_key, `groups` by group key."""

    tenant: Tenant
    users: Mapping[str, DesiredUser]
    groups: Mapping[str, DesiredGroup]
    _fingerprint: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        """R21. Derived on first use, not when the state is built: checking a folder
        (`validate`, `expiring`) needs no fingerprint, and at 100k users it costs a
        tenth of the load. Cached; object.__setattr__ as the class is frozen."""
        if self._fingerprint is None:
            digest = desired_state_digest(tenant=self.tenant, users=self.users, groups=self.groups)
            object.__setattr__(self, "_fingerprint", digest)
        return cast(str, self._fingerprint)

    def __repr__(self) -> str:
        # A summary, like Live's: the full repr of a large state is slow and unreadable.
        return (
            f"Desired({len(self.users)} users, {len(self.groups)} groups, {self.fingerprint[:12]})"
        )

    @classmethod
    def build(
        cls,
        *,
        tenant: Tenant | None = None,
        users: list[DesiredUser] | tuple[DesiredUser, ...] = (),
        groups: list[DesiredGroup] | tuple[DesiredGroup, ...] = (),
    ) -> Desired:
        """Construct from lists (tests, generators). No validation here."""
        return cls(
            tenant=tenant or Tenant(),
            users=MappingProxyType({u.key: u for u in users}),
            groups=MappingProxyType({g.key: g for g in groups}),
        )

    @property
    def is_empty(self) -> bool:
        """R20: a plan from an empty desired state is refused at apply."""
        return not self.users and not self.groups


def desired_state_digest(
    *, tenant: Tenant, users: Mapping[str, DesiredUser], groups: Mapping[str, DesiredGroup]
) -> str:
    """The desired fingerprint (R21); `reconcile.fingerprint.desired_fingerprint` is the
    public entry. The SSO customer id counts only as set / not set (a secret)."""
    safety = tenant.safety
    tenant_doc = [
        tenant.sso_customer_id is not None,
        tenant.manage_groups,
        str(tenant.unmanaged_users),
        tenant.enabled,
        [safety.max_deactivations, safety.max_deactivation_percent, safety.max_group_deletions],
    ]
    users_blob = rows(
        [
            key,
            u.email,
            # Inline rather than helper calls: this runs for every declared user.
            NUL if u.first_name is None else u.first_name,
            NUL if u.last_name is None else u.last_name,
            NUL if u.display_name is None else u.display_name,
            "1" if u.suspended else "0",
            "1" if u.password_expired else "0",
            NUL if u.language is None else u.language,
        ]
        for key, u in sorted(users.items())
    )
    records: list[Record] = [
        ([key, g.name, g.id, list(g.renamed_from), str(g.state)], joined(sorted(g.members)))
        for key, g in sorted(groups.items())
    ]
    records = [(["users"], users_blob), *records]
    expiries = _expiry_rows(users, groups)
    if expiries:  # R24; absent without expiries, so older states keep their fingerprint
        records.append((["expiries", tenant.expiry_warning_days], rows(expiries)))
    return digest(["desired", 2, tenant_doc], records)


def _expiry_rows(
    users: Mapping[str, DesiredUser], groups: Mapping[str, DesiredGroup]
) -> list[list[str]]:
    """(user key, group key or "", expiry instant) for every declared expiry, sorted."""
    out = [[key, "", u.expires.at.isoformat()] for key, u in users.items() if u.expires is not None]
    for gkey, group in groups.items():
        out.extend([member, gkey, e.at.isoformat()] for member, e in group.expiries.items())
    out.sort()
    return out
