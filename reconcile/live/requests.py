"""Pure request builders: what the client sends, without sending it.

Bodies of user and group requests, PATCH chunking (R18, R19) and SCIM filter literals.
No I/O and no client state: everything a request depends on is an argument, so each
shape is testable on its own (tests/unit/live/test_requests.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

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
) -> UserCreate:
    """A user's create body; `with_emails` adds `emails` and `name.formatted` (a standard
    service keeps them apart from userName; TeamViewer derives both)."""
    schemas = [USER_SCHEMA]
    sso = None
    if sso_customer_id:
        schemas.append(SSO_SCHEMA)
        sso = SsoExtension(sso_customer_id=sso_customer_id)
    return UserCreate(
        schemas=schemas,
        user_name=email,
        display_name=display_name,
        active=active,
        emails=[Email(value=email)] if with_emails else None,
        name=Name(formatted=display_name) if with_emails else None,
        preferred_language=language,
        sso=sso,
    )


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
