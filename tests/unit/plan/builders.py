"""Test helpers: short constructors for Desired/Live, and an in-memory "apply".

`apply_plan` is a tiny model of the SCIM service: it performs a plan's operations on a
Live value, asserting along the way what the real applier relies on (R19: a user exists
before a group references it; every write changes something; no user is ever removed).
"""

from __future__ import annotations

from reconcile.desired.model import (
    Desired,
    DesiredGroup,
    DesiredUser,
    GroupState,
    Safety,
    Tenant,
    UnmanagedUsers,
    email_key,
)
from reconcile.live.model import Live, LiveGroup, LiveUser
from reconcile.plan import (
    CreateGroup,
    CreateUser,
    DeleteGroup,
    MemberRef,
    Plan,
    UpdateGroup,
    UpdateUser,
)


def du(
    email: str,
    name: str | None = None,
    *,
    first: str | None = None,
    last: str | None = None,
    suspended: bool = False,
    expired: bool = False,
    language: str | None = None,
) -> DesiredUser:
    if name is None and first is None:
        local = email.split("@")[0]
        first, last = local.capitalize(), "Test"
    return DesiredUser(
        email=email,
        first_name=first,
        last_name=last,
        display_name=name,
        suspended=suspended,
        password_expired=expired,
        language=language,
    )


def dg(
    key: str,
    name: str | None = None,
    members: tuple[str, ...] | list[str] = (),
    *,
    id: str | None = None,
    renamed_from: tuple[str, ...] = (),
    deleted: bool = False,
) -> DesiredGroup:
    return DesiredGroup(
        key=key,
        name=name or key.capitalize(),
        id=id,
        renamed_from=renamed_from,
        state=GroupState.DELETED if deleted else GroupState.PRESENT,
        members=tuple(email_key(m) for m in members),
    )


def desired(
    users: list[DesiredUser] | tuple[DesiredUser, ...] = (),
    groups: list[DesiredGroup] | tuple[DesiredGroup, ...] = (),
    *,
    manage_groups: bool = True,
    unmanaged: UnmanagedUsers = UnmanagedUsers.IGNORE,
    enabled: bool = True,
    safety: Safety | None = None,
) -> Desired:
    return Desired.build(
        tenant=Tenant(
            manage_groups=manage_groups,
            unmanaged_users=unmanaged,
            enabled=enabled,
            safety=safety or Safety(),
        ),
        users=users,
        groups=groups,
    )


def lu(id: str, email: str, name: str | None = None, *, active: bool = True) -> LiveUser:
    if name is None:
        name = f"{email.split('@')[0].capitalize()} Test"
    return LiveUser(id=id, email=email, display_name=name, active=active)


def lg(id: str, name: str, member_ids: tuple[str, ...] | list[str] = ()) -> LiveGroup:
    return LiveGroup(id=id, name=name, member_ids=frozenset(member_ids))


def live(
    users: list[LiveUser] | tuple[LiveUser, ...] = (),
    groups: list[LiveGroup] | tuple[LiveGroup, ...] = (),
) -> Live:
    return Live.build(users=users, groups=groups)


def apply_plan(state: Live, plan: Plan) -> Live:
    """Perform `plan` on an in-memory copy of `state`, in the plan's (phase) order."""
    users = {u.id: u for u in state.users}
    ids_by_key = {u.key: u.id for u in state.users}
    groups = {g.id: g for g in state.groups}

    def resolve(ref: MemberRef) -> str:
        # R19: the user must exist by the time a group request references it.
        uid = ids_by_key.get(ref.key)
        assert uid is not None, f"group references {ref.email} before it exists"
        if ref.id is not None:
            assert ref.id == uid, f"{ref.email}: plan carries id {ref.id}, live has {uid}"
        return uid

    for counter, op in enumerate(plan.operations):
        if isinstance(op, CreateUser):
            assert op.key not in ids_by_key, f"create_user {op.email}: exists already"
            new_id = f"u-new-{counter}"
            users[new_id] = LiveUser(new_id, op.email, op.display_name, True)
            ids_by_key[op.key] = new_id
        elif isinstance(op, UpdateUser):
            current = users[op.id]
            name, active = current.display_name, current.active
            assert op.display_name is not None or op.active is not None, "empty update"
            if op.display_name is not None:
                assert op.display_name[0] == name
                assert op.display_name[1] != name
                name = op.display_name[1]
            if op.active is not None:
                assert op.active[0] == active
                assert op.active[1] != active
                active = op.active[1]
            users[op.id] = LiveUser(current.id, current.email, name, active)
        elif isinstance(op, CreateGroup):
            assert op.members, "R6: an empty group is never created"
            assert all(g.name != op.name for g in groups.values()), f"name {op.name} taken"
            new_id = f"g-new-{counter}"
            groups[new_id] = LiveGroup(new_id, op.name, frozenset(resolve(m) for m in op.members))
        elif isinstance(op, UpdateGroup):
            current_group = groups[op.id]
            name = current_group.name
            members = set(current_group.member_ids)
            assert op.rename is not None or op.add_members or op.remove_members, "empty update"
            if op.rename is not None:
                assert op.rename[0] == name
                name = op.rename[1]
            assert name == op.name
            for ref in op.add_members:
                uid = resolve(ref)
                assert uid not in members, f"add {ref.email}: already a member"
                members.add(uid)
            for ref in op.remove_members:
                uid = resolve(ref)
                assert uid in members, f"remove {ref.email}: not a member"
                members.remove(uid)
            groups[op.id] = LiveGroup(op.id, name, frozenset(members))
        else:
            assert isinstance(op, DeleteGroup)
            del groups[op.id]
    return Live.build(users=users.values(), groups=groups.values())
