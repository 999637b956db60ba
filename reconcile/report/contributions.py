"""What one desired-state file declared at one commit: its users and its groups' members.

Old commits are read leniently: the strict reader (yaml_reader) reads the text as the
loader does, but the schema is not enforced here, because history is evidence and must be
read as it was. What cannot be read at all (a YAML syntax error, a file that is not
UTF-8) yields None: the walk then keeps that file's previous contribution and notes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconcile.desired.yaml_reader import read_yaml
from reconcile.identity import email_key

_NO_ENV: Mapping[str, str] = {}  # ${VAR} references stay as written; history needs no secret


@dataclass(frozen=True, slots=True)
class HistGroup:
    key: str
    name: str
    renamed_from: tuple[str, ...]
    present: bool
    members: frozenset[str]  # e-mail keys


@dataclass(frozen=True, slots=True)
class HistUser:
    key: str  # e-mail key (R1)
    email: str
    name: str
    inactive: bool  # suspended or password_expired (R3)


@dataclass(frozen=True, slots=True)
class Contribution:
    users: Mapping[str, HistUser]
    groups: Mapping[str, HistGroup]

    @property
    def memberships(self) -> frozenset[tuple[str, str]]:
        """(group key, e-mail key) of every member of a present group."""
        return frozenset(
            (group.key, member)
            for group in self.groups.values()
            if group.present
            for member in group.members
        )


EMPTY = Contribution(users={}, groups={})


def read_contribution(data: bytes) -> Contribution | str:
    """The file's contribution, or a one-line reason why it cannot be read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    result = read_yaml(text, environ=_NO_ENV)
    root = result.root
    if root is None:
        if result.problems:  # unreadable (syntax, depth, aliases), not merely empty
            first = result.problems[0]
            return f"line {first.line}, column {first.column}: {first.message}"
        return EMPTY
    if not isinstance(root, dict):
        return "the file is not a mapping of tenant, users and groups"
    return Contribution(users=_users(root.get("users")), groups=_groups(root.get("groups")))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _users(node: Any) -> dict[str, HistUser]:
    users: dict[str, HistUser] = {}
    if not isinstance(node, list):
        return users
    for item in node:
        if not isinstance(item, dict) or not _text(item.get("email")):
            continue
        email = _text(item["email"])
        name = _text(item.get("display_name")) or " ".join(
            part for part in (_text(item.get("first_name")), _text(item.get("last_name"))) if part
        )
        inactive = item.get("suspended") is True or item.get("password_expired") is True
        key = email_key(email)
        users[key] = HistUser(key=key, email=email, name=name, inactive=inactive)
    return users


def _member_email(item: Any) -> str:
    """A member as written: an e-mail, or a mapping with `email` (forms with expiry)."""
    if isinstance(item, dict):
        return _text(item.get("email"))
    return _text(item)


def _groups(node: Any) -> dict[str, HistGroup]:
    groups: dict[str, HistGroup] = {}
    if not isinstance(node, dict):
        return groups
    for key, body in node.items():
        if not isinstance(key, str) or not isinstance(body, dict):
            continue
        members = body.get("members")
        emails = (_member_email(item) for item in members) if isinstance(members, list) else ()
        renamed = body.get("renamed_from")
        groups[key] = HistGroup(
            key=key,
            name=_text(body.get("name")) or key,
            renamed_from=tuple(_text(n) for n in renamed if _text(n))
            if isinstance(renamed, list)
            else (),
            present=body.get("state", "present") != "deleted",
            members=frozenset(email_key(e) for e in emails if e),
        )
    return groups
