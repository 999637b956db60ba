"""Deterministic (seeded) generator of a large tenant for the planner benchmark.

Builds a Desired and a Live of the same company with realistic drift: a few new users,
renamed and suspended users, people who left, membership churn, renamed, new and
deleted groups, and unmanaged leftovers. No I/O; the same seed gives the same tenant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import MappingProxyType

from reconcile.desired.model import (
    Desired,
    DesiredGroup,
    DesiredUser,
    GroupState,
    Safety,
    Tenant,
    email_key,
)
from reconcile.live.model import Live, LiveGroup, LiveUser


@dataclass(frozen=True, slots=True)
class TenantSize:
    users: int = 100_000
    groups: int = 10_000
    memberships: int = 1_000_000
    drift: float = 0.01  # share of users/groups that differ between desired and live


def generate(size: TenantSize, *, seed: int = 20_240_601) -> tuple[Desired, Live]:
    rnd = random.Random(seed)
    emails = [f"user{i:06d}@example.test" for i in range(size.users)]
    per_group = size.memberships // size.groups
    # Declared memberships: each group draws `per_group` distinct users.
    members = [rnd.sample(range(size.users), per_group) for _ in range(size.groups)]

    def drifted() -> bool:
        return rnd.random() < size.drift

    users = [
        DesiredUser(
            email=email,
            first_name=f"First{i}",
            last_name=f"Last{i}",
            suspended=drifted(),
        )
        for i, email in enumerate(emails)
    ]
    # Like the loader: every member is the declared user's own key object, and each
    # group's members are sorted.
    member_keys = list({email_key(email): None for email in emails})
    groups = [
        DesiredGroup(
            key=f"group-{g:05d}",
            name=f"Group {g:05d}",
            renamed_from=(f"Old group {g:05d}",) if g % 500 == 1 else (),
            state=GroupState.DELETED if g % 2000 == 7 else GroupState.PRESENT,
            members=tuple(sorted(member_keys[i] for i in members[g])),
        )
        for g in range(size.groups)
    ]
    live_users = []
    for i, email in enumerate(emails):
        if drifted():
            continue  # new in the files: to be created
        name = f"First{i} Last{i}" if not drifted() else f"First{i}  Last{i} (old)"
        live_users.append(LiveUser(f"u{i:07d}", email, name, active=not drifted()))
    # Leftovers nobody declares.
    live_users += [
        LiveUser(f"u9{i:06d}", f"former{i}@example.test", f"Former {i}", True)
        for i in range(size.users // 100)
    ]
    live_ids = {u.email: u.id for u in live_users}
    own_id = {u.id: u.id for u in live_users}
    live_groups = []
    for g in range(size.groups):
        if g % 1000 == 3:
            continue  # new group: to be created
        # Like the fetcher (which interns ids): every member id is the user's id object.
        ids = {live_ids[emails[i]] for i in members[g] if emails[i] in live_ids}
        if drifted():  # membership churn: someone joined by hand
            ids.add(own_id.get(joined := f"u{rnd.randrange(size.users):07d}", joined))
        name = f"Old group {g:05d}" if g % 500 == 1 else f"Group {g:05d}"
        live_groups.append(LiveGroup(f"g{g:06d}", name, frozenset(ids)))
    live_groups += [LiveGroup(f"g9{i:05d}", f"Legacy {i}", frozenset()) for i in range(50)]
    tenant = Tenant(safety=Safety(max_deactivations=10_000, max_deactivation_percent=20))
    return (
        # Not Desired.build: the users must be keyed by the very key objects the members
        # use, as the loader does.
        Desired(
            tenant=tenant,
            users=MappingProxyType(dict(zip(member_keys, users, strict=True))),
            groups=MappingProxyType({g.key: g for g in groups}),
        ),
        Live.build(users=live_users, groups=live_groups),
    )
