"""What the merge (rules.py) needs of each validated user and group, as plain tuples.

Why tuples and not the schema models: a row is all the merge reads, it costs a fraction of a
model to keep, and it is made of builtins only, so a forked reader (parallel.py) can send
the rows of its files back through `marshal`, the fastest serializer there is for such data.
Both readers produce the same rows: the exact one from the models it validated entry by
entry (loader.py), the fast one from a whole file validated at once (`fast_rows`).
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from pydantic import ValidationError

from reconcile.desired.fast_reader import fast_read
from reconcile.desired.model import effective_name
from reconcile.desired.schema import FastFileSchema, GroupSchema, MemberSchema
from reconcile.identity import email_key

# (key, email, first_name, last_name, display_name, suspended, password_expired, language,
#  expires, index in the file's `users` list, effective name): the e-mail trimmed, the
#  names trimmed (None when empty), `expires` as written.
UserRow = tuple[
    str, str, str | None, str | None, str | None, bool, bool, str | None, str | None, int, str
]
# (key, name, id, renamed_from, state, members, ordered, expiring, distinct, as_keys):
# `members` the e-mails as written, in order; `ordered` the same sorted; `expiring` (index
# in members, expires) of each written as {email, expires}; `distinct`: no e-mail is written
# twice; `as_keys`: each is written as its own key (lower case), so that members resolved
# in the order of `ordered` are sorted already. What is derived here is derived in the
# helper process too (large_files.py), not in the merge.
GroupRow = tuple[
    str,
    str,
    str | None,
    tuple[str, ...],
    str,
    list[str],
    list[str],
    tuple[tuple[int, str], ...],
    bool,
    bool,
]
FileRows = tuple[list[UserRow], list[GroupRow]]

# What a file read by the fast reader may hold; the few lines of a tenant section are left
# to the exact reader (its numbers could be typed differently by the fast one).
_FAST_SECTIONS = frozenset({"users", "groups"})


class _User(Protocol):
    """A validated user: UserSchema, or FastUserSchema on the fast path (read only)."""

    @property
    def email(self) -> str: ...
    @property
    def first_name(self) -> str | None: ...
    @property
    def last_name(self) -> str | None: ...
    @property
    def display_name(self) -> str | None: ...
    @property
    def suspended(self) -> bool: ...
    @property
    def password_expired(self) -> bool: ...
    @property
    def language(self) -> str | None: ...
    @property
    def expires(self) -> str | None: ...


def user_row(user: _User, index: int) -> UserRow:
    first, last, display = (
        clean(user.first_name),
        clean(user.last_name),
        clean(user.display_name),
    )
    return (
        email_key(user.email),
        user.email.strip(),
        first,
        last,
        display,
        user.suspended,
        user.password_expired,
        user.language,
        user.expires,
        index,
        effective_name(first, last, display),
    )


def group_row(key: str, group: GroupSchema) -> GroupRow:
    written = group.members or []
    expiring: tuple[tuple[int, str], ...] = ()
    # A C-level check: a group of plain e-mails (nearly every group) is taken as it is.
    if set(map(type, written)) <= {str}:
        members: list[str] = written  # type: ignore[assignment]
    else:
        members = [m.email if isinstance(m, MemberSchema) else m for m in written]
        expiring = tuple(
            (index, m.expires) for index, m in enumerate(written) if isinstance(m, MemberSchema)
        )
    return (
        key,
        group.name.strip(),
        clean(group.id),
        tuple(name.strip() for name in group.renamed_from or ()),
        group.state,
        members,
        sorted(members),
        expiring,
        len(set(members)) == len(members),
        _lower_case(members),
    )


def _lower_case(members: list[str]) -> bool:
    # Joined: one pass in C for the group, not a call per member. Any character lower()
    # changes (even one whose change depends on its neighbours) makes the two differ.
    text = "\x00".join(members)
    return text == text.lower()


def clean(text: str | None) -> str | None:
    """Trimmed, and None when nothing is left."""
    if text is None:
        return None
    return text.strip() or None


def fast_rows(text: str) -> FileRows | None:
    """The rows of a file read by the fast reader, if it is valid through and through.

    None on any doubt or any problem: the exact reader then reads the file and reports
    exactly what it always did.
    """
    document: dict[str, Any] | None = fast_read(text)
    if document is None or not document.keys() <= _FAST_SECTIONS:
        return None
    try:
        checked = FastFileSchema.model_validate(document)
    except ValidationError:
        return None
    # FastUserSchema is made by create_model: mypy knows it only as a model
    users = valid_user_rows(cast("list[_User]", checked.users or []))
    if users is None:
        return None
    return users, [group_row(key, group) for key, group in (checked.groups or {}).items()]


def valid_user_rows(users: list[_User]) -> list[UserRow] | None:
    """The rows of users FastUserSchema accepted, if UserSchema would accept them too and
    they have no other problem: the two checks FastUserSchema cannot make itself."""
    rows = [user_row(user, index) for index, user in enumerate(users)]
    if any(display is None and None in (first, last) for _, _, first, last, display, *_ in rows):
        return None  # R14: a user without a name
    if any(email.index("@") > 64 for _, email, *_ in rows if len(email) > 66):
        return None  # a local part over 64 characters (the pattern cannot count it)
    return rows
