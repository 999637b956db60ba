"""The live state: what the SCIM service reports, complete or not at all.

Immutable and indexed for O(1) lookups by id, by case-folded e-mail (R1) and by
group name. Built only from a complete listing (see `fetch.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from types import MappingProxyType

from reconcile.canonical import ROW, Record, digest, live_members_blob, live_user_row, rows
from reconcile.identity import email_key

_ID = attrgetter("id")


@dataclass(frozen=True, slots=True)
class LiveUser:
    id: str
    email: str
    display_name: str
    active: bool
    # R1's identity, derived once: the fetch and the planner read it for every user.
    key: str = field(init=False, repr=False, compare=False)
    # This user's part of the live fingerprint (R21), derived once (see canonical.py).
    fingerprint_row: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", email_key(self.email))
        row = live_user_row(
            id=self.id, email=self.email, display_name=self.display_name, active=self.active
        )
        object.__setattr__(self, "fingerprint_row", row)


@dataclass(frozen=True, slots=True)
class LiveGroup:
    id: str
    name: str
    member_ids: frozenset[str] = frozenset()
    # The sorted member ids as the live fingerprint (R21) takes them, derived once.
    fingerprint_members: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fingerprint_members", live_members_blob(self.member_ids))


@dataclass(frozen=True, slots=True, repr=False)
class Live:
    users: tuple[LiveUser, ...]
    groups: tuple[LiveGroup, ...]
    users_by_id: Mapping[str, LiveUser] = field(init=False, repr=False, compare=False)
    users_by_email: Mapping[str, LiveUser] = field(init=False, repr=False, compare=False)
    groups_by_id: Mapping[str, LiveGroup] = field(init=False, repr=False, compare=False)
    groups_by_name: Mapping[str, tuple[LiveGroup, ...]] = field(
        init=False, repr=False, compare=False
    )
    fingerprint: str = field(init=False, repr=False, compare=False)  # R21

    def __post_init__(self) -> None:
        by_name: dict[str, list[LiveGroup]] = {}
        for g in self.groups:
            by_name.setdefault(g.name, []).append(g)
        # object.__setattr__: the indexes are derived once, the instance stays frozen.
        object.__setattr__(self, "users_by_id", MappingProxyType({u.id: u for u in self.users}))
        object.__setattr__(self, "users_by_email", MappingProxyType({u.key: u for u in self.users}))
        object.__setattr__(self, "groups_by_id", MappingProxyType({g.id: g for g in self.groups}))
        object.__setattr__(
            self,
            "groups_by_name",
            MappingProxyType({k: tuple(v) for k, v in by_name.items()}),
        )
        object.__setattr__(
            self, "fingerprint", live_state_digest(users=self.users, groups=self.groups)
        )

    def __repr__(self) -> str:
        # A summary: the default repr of a large state is slow to build, and Python 3.11's
        # asyncio.run builds it on its way out whenever the main task returns a Live.
        return f"Live({len(self.users)} users, {len(self.groups)} groups, {self.fingerprint[:12]})"

    @classmethod
    def build(cls, *, users: Iterable[LiveUser] = (), groups: Iterable[LiveGroup] = ()) -> Live:
        """Sorted by id so that equal states compare and fingerprint equal."""
        return cls(users=tuple(sorted(users, key=_ID)), groups=tuple(sorted(groups, key=_ID)))


def live_state_digest(*, users: Iterable[LiveUser], groups: Iterable[LiveGroup]) -> str:
    """The live fingerprint (R21) from the parts each user and group derived when built;
    `reconcile.fingerprint.live_fingerprint` is the public entry."""
    users_by_id = sorted(users, key=_ID)
    parts = [u.fingerprint_row for u in users_by_id if u.fingerprint_row is not None]
    if len(parts) == len(users_by_id):
        users_blob = ROW.join(parts)
    else:  # a value holds a separator: the same JSON as `rows` falls back to
        users_blob = rows(
            [u.id, u.email, u.display_name, "1" if u.active else "0"] for u in users_by_id
        )
    records: list[Record] = [
        ([g.id, g.name], g.fingerprint_members) for g in sorted(groups, key=_ID)
    ]
    return digest(["live", 2], [(["users"], users_blob), *records])
