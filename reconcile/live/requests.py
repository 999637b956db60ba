"""Pure request builders: what the client sends, without sending it.

Bodies of user and group requests, PATCH chunking (R18, R19) and SCIM filter literals.
No I/O and no client state: everything a request depends on is an argument, so each
shape is testable on its own (tests/unit/live/test_requests.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from reconcile.live.profiles import split_name
from reconcile.live.wire import (
    SSO_SCHEMA,
    USER_SCHEMA,
    Email,
    GroupCreate,
    MemberRef,
    Name,
    PatchOperation,
    PatchRequest,
    SsoExtension,
    UserCreate,
)


def filter_literal(value: str) -> str:
    """A SCIM filter string literal (RFC 7644 3.4.2.2 uses JSON string syntax)."""
    return json.dumps(value, ensure_ascii=False)


def eq_filter(attribute: str, value: str) -> str:
    """`attribute eq "value"`, the value quoted as a filter literal."""
    return f"{attribute} eq {filter_literal(value)}"


def page_params(*, start_index: int, count: int, filter: str | None) -> dict[str, str | int]:
    """The query of one list page (start_index is 1-based)."""
    params: dict[str, str | int] = {"startIndex": start_index, "count": count}
    if filter is not None:
        params["filter"] = filter
    return params


def user_create(
    *,
    email: str,
    display_name: str,
    active: bool,
    language: str | None,
    sso_customer_id: str | None,
    with_emails: bool,
    sso_extension: bool = True,
    name_parts: bool = False,
) -> UserCreate:
    """A user's create body; `with_emails` adds `emails` and `name.formatted` (a standard
    service keeps them apart from userName; TeamViewer derives both), `name_parts` also
    `name.givenName`/`familyName` as TeamViewer splits them (see profiles.split_name).
    The SsoUser extension is sent only when the service takes it (`sso_extension`, see
    discovery.py): a standard server refuses an unknown extension."""
    schemas = [USER_SCHEMA]
    sso = None
    if sso_customer_id and sso_extension:  # else the plan says so once (sso_not_sent)
        schemas.append(SSO_SCHEMA)
        sso = SsoExtension(sso_customer_id=sso_customer_id)
    return UserCreate(
        schemas=schemas,
        user_name=email,
        display_name=display_name,
        active=active,
        emails=[Email(value=email)] if with_emails else None,
        name=_name(display_name, parts=name_parts) if with_emails else None,
        preferred_language=language,
        sso=sso,
    )


def _name(display_name: str, *, parts: bool) -> Name:
    if not parts:
        return Name(formatted=display_name)
    given, family = split_name(display_name)
    return Name(formatted=display_name, given_name=given or None, family_name=family or None)


def _rename(name: str) -> PatchOperation:
    return PatchOperation(op="replace", path="displayName", value=name)


def user_update(*, display_name: str | None, active: bool | None) -> PatchRequest | None:
    """One PATCH of `replace` operations (the only kind TeamViewer accepts); None when
    nothing changes, so that no request is sent (R18)."""
    ops: list[PatchOperation] = []
    if display_name is not None:
        ops.append(_rename(display_name))
    if active is not None:
        ops.append(PatchOperation(op="replace", path="active", value=active))
    return PatchRequest(operations=ops) if ops else None


def user_update_by_name_parts(*, display_name: str, active: bool | None) -> PatchRequest:
    """A rename as the name's parts, for a service that derives `displayName` from them
    and answers 501 to its `replace` (django-scim2, see profiles.py)."""
    given, family = split_name(display_name)
    ops = [
        PatchOperation(op="replace", path="name.givenName", value=given),
        PatchOperation(op="replace", path="name.familyName", value=family),
    ]
    if active is not None:
        ops.append(PatchOperation(op="replace", path="active", value=active))
    return PatchRequest(operations=ops)


def _member_refs(ids: Iterable[str]) -> list[MemberRef]:
    return [MemberRef(value=m) for m in ids]


def group_create(
    *, name: str, member_ids: Iterable[str], max_operations: int
) -> tuple[GroupCreate, list[str]]:
    """A group's create body with its initial members (R18), and the members past
    `max_operations` that follow in PATCHes."""
    members = sorted(set(member_ids))
    first, rest = members[:max_operations], members[max_operations:]
    return GroupCreate(display_name=name, members=_member_refs(first)), rest


def group_patches(
    *,
    rename: str | None,
    add_ids: Iterable[str],
    remove_ids: Iterable[str],
    max_operations: int,
) -> list[PatchRequest]:
    """The PATCH bodies for one group change: one unless past the limit (R18, R19).

    `max_operations` counts every member value as one operation (an `add` of 50 ids
    costs 50); a rename costs 1. Order: rename, then adds, then removals, so grants land
    before revocations. Removals use `members[value eq "id"]` paths: RFC 7644 removes
    *every* member for a `remove` on `members` without a filter, so the value-list form
    is never sent.
    """
    requests: list[list[PatchOperation]] = [[]]
    room = max_operations

    def make_room(cost: int) -> None:
        nonlocal room
        if room < cost:
            requests.append([])
            room = max_operations
        room -= cost

    if rename is not None:
        make_room(1)
        requests[-1].append(_rename(rename))
    adds = sorted(set(add_ids))
    while adds:
        if room == 0:
            requests.append([])
            room = max_operations
        take, adds = adds[:room], adds[room:]
        room -= len(take)
        requests[-1].append(PatchOperation(op="add", path="members", value=_member_refs(take)))
    for member in sorted(set(remove_ids)):
        make_room(1)
        requests[-1].append(
            PatchOperation(op="remove", path=f"members[value eq {filter_literal(member)}]")
        )
    return [PatchRequest(operations=ops) for ops in requests if ops]


def group_patches_by_value(
    *, add_ids: Iterable[str], remove_ids: Iterable[str], max_operations: int
) -> list[PatchRequest]:
    """The member changes of one group as value lists, for a service that answered 501 to
    the filtered removal (django-scim2): adds as `group_patches` sends them, then removals
    as `remove` on `members` with a value list, each request within `max_operations`.

    Never sent first: RFC 7644 lets a `remove` on `members` drop *every* member, so only a
    service that refused the filtered form gets this one (see profiles.py).
    """
    requests = group_patches(
        rename=None, add_ids=add_ids, remove_ids=(), max_operations=max_operations
    )
    removals = sorted(set(remove_ids))
    for start in range(0, len(removals), max_operations):
        chunk = _member_refs(removals[start : start + max_operations])
        operation = PatchOperation(op="remove", path="members", value=chunk)
        requests.append(PatchRequest(operations=[operation]))
    return requests


def group_replace(*, name: str, member_ids: Iterable[str]) -> GroupCreate:
    """A PUT body for a group renamed with its members as they are (sorted, unique)."""
    return GroupCreate(display_name=name, members=_member_refs(sorted(set(member_ids))))


def patch_cost(request: PatchRequest) -> int:
    """Member values (and renames) one PATCH carries, as `group_patches` counts them."""
    cost = 0
    for op in request.operations:
        cost += len(op.value) if isinstance(op.value, list) else 1
    return cost


def split_patch(request: PatchRequest, *, max_operations: int) -> list[PatchRequest]:
    """One group PATCH re-cut into requests of at most `max_operations` (order kept:
    rename, adds, removals, as `group_patches` builds them)."""
    rename: str | None = None
    adds: list[str] = []
    removes: list[str] = []
    by_value: list[str] = []  # `remove` on `members` with a value list (see below)
    for op in request.operations:
        if op.op == "replace" and op.path == "displayName" and isinstance(op.value, str):
            rename = op.value
        elif op.op == "add" and isinstance(op.value, list):
            adds.extend(ref.value for ref in op.value if isinstance(ref, MemberRef))
        elif op.op == "remove" and op.path and op.path.startswith("members[value eq "):
            removes.append(json.loads(op.path[len("members[value eq ") : -1]))
        elif op.op == "remove" and op.path == "members" and isinstance(op.value, list):
            by_value.extend(ref.value for ref in op.value if isinstance(ref, MemberRef))
        else:
            raise ValueError(f"cannot split the PATCH operation {op.op} {op.path}")
    parts = group_patches(
        rename=rename, add_ids=adds, remove_ids=removes, max_operations=max_operations
    )
    if by_value:  # the form a service answered 501 to the filtered one with stays
        parts += group_patches_by_value(
            add_ids=(), remove_ids=by_value, max_operations=max_operations
        )
    return parts
