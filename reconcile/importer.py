"""`reconcile import`: live users (and groups) not yet declared, as desired-state YAML.

Pure: (Desired, Live) in, an `Import` or a `Starter` out; the command writes it. Like
JumpCloud's import, each live user is listed as New (not declared yet) or Imported
(declared).

Into a folder that already holds a desired state, `build_import` writes the New users
(and, with `--groups`, the unmanaged groups) as one file; such users are written without a
group, so they are unbound (R2) until someone adds them to one - the command says so.

Into a folder with no desired state yet, `build_starter` writes a complete one whose first
plan is empty: every user and group it declares is declared exactly as it is live, and
what cannot be declared without a change (an active user in no group would be deactivated,
R3) is left undeclared and listed with what to do.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import yaml

from reconcile.desired.model import Desired, Safety
from reconcile.desired.schema import email_problem
from reconcile.live.model import Live, LiveGroup, LiveUser

MAX_KEY_LENGTH = 100  # group keys may be 128 characters; room for a "-2" suffix


class ImportStatus(StrEnum):
    NEW = "New"  # live, not declared: written by this import
    IMPORTED = "Imported"  # already declared in the desired state


@dataclass(frozen=True, slots=True)
class ListedUser:
    user: LiveUser
    status: ImportStatus


@dataclass(frozen=True, slots=True)
class Import:
    listed: tuple[ListedUser, ...]  # every live user, sorted by e-mail
    new_users: tuple[LiveUser, ...]
    new_groups: tuple[tuple[str, LiveGroup], ...]  # (key, live group), sorted by key

    def to_yaml(self, *, live: Live, schema_ref: str | None = ".schema.json") -> str:
        header = _schema_line(schema_ref)
        header += (
            "# Imported from TeamViewer by `reconcile import`. A user here who is in no present\n"
            "# group is unbound: add them to a group, or the next plan deactivates them (R3).\n"
        )
        document: dict[str, Any] = {"users": [_user_entry(u) for u in self.new_users]}
        if self.new_groups:
            document["groups"] = _group_entries(self.new_groups, live)
        return header + dump_yaml(document)


# -- writing YAML that reads back exactly ----------------------------------------------------

_NUMBER_START = frozenset("0123456789+-.~")
_WORDS = frozenset({"null", "true", "false"})


class _Dumper(yaml.SafeDumper):
    """Writes every string so that the desired-state reader reads back the same string."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # The reader follows YAML 1.2 (`0o17` is a number there, not for PyYAML's 1.1), and
    # resolves `${VAR}` in values: quote what could read as a non-string, escape `${`.
    # Double quotes also for line breaks and control characters: only that style keeps
    # them as they are (a single-quoted U+0085 is folded into a space).
    quote = (
        not value or value[0] in _NUMBER_START or value.lower() in _WORDS or not value.isprintable()
    )
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value.replace("${", "$${"), '"' if quote else None
    )


_Dumper.add_representer(str, _represent_str)


def dump_yaml(document: dict[str, Any]) -> str:
    """Block-style YAML; long names are never folded onto a second line."""
    return yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=sys.maxsize
    )


def _schema_line(schema_ref: str | None) -> str:
    return f"# yaml-language-server: $schema={schema_ref}\n" if schema_ref else ""


def _user_entry(user: LiveUser) -> dict[str, Any]:
    entry: dict[str, Any] = {"email": user.email.strip(), "display_name": user.display_name}
    if not user.active:
        # Keep an inactive account inactive even once it joins a group (R3).
        entry["suspended"] = True
    return entry


def _group_entries(groups: Iterable[tuple[str, LiveGroup]], live: Live) -> dict[str, Any]:
    return {
        key: {
            "name": group.name,
            "id": group.id,
            "members": sorted(
                live.users_by_id[m].email.strip() for m in group.member_ids if m in live.users_by_id
            ),
        }
        for key, group in groups
    }


# -- re-import into an existing desired state -------------------------------------------------


def build_import(*, desired: Desired, live: Live, groups: bool) -> Import:
    listed = _listed(desired=desired, live=live)
    new_users = tuple(item.user for item in listed if item.status is ImportStatus.NEW)
    new_groups: tuple[tuple[str, LiveGroup], ...] = ()
    if groups:
        new_groups = _unmanaged_groups(desired=desired, live=live)
    return Import(listed=listed, new_users=new_users, new_groups=new_groups)


def _listed(*, desired: Desired, live: Live) -> tuple[ListedUser, ...]:
    return tuple(
        ListedUser(u, ImportStatus.IMPORTED if u.key in desired.users else ImportStatus.NEW)
        for u in sorted(live.users, key=lambda u: u.key)
    )


def _unmanaged_groups(*, desired: Desired, live: Live) -> tuple[tuple[str, LiveGroup], ...]:
    """Live groups no declared group matches by id, renamed_from or name (R7, R10)."""
    claimed_ids = {g.id for g in desired.groups.values() if g.id}
    claimed_names = {g.name for g in desired.groups.values()}
    claimed_names.update(n for g in desired.groups.values() for n in g.renamed_from)
    candidates = [
        group
        for group in live.groups
        if group.id not in claimed_ids and group.name not in claimed_names
    ]
    return _keyed(candidates, taken=set(desired.groups))


def _keyed(groups: Iterable[LiveGroup], *, taken: set[str]) -> tuple[tuple[str, LiveGroup], ...]:
    """(stable key, group) for each group: its name as a slug, unique among `taken`."""
    taken = set(taken)
    result = []
    for group in sorted(groups, key=lambda g: (g.name, g.id)):
        base = (_slug(group.name) or _slug(group.id) or "group")[:MAX_KEY_LENGTH].strip("-")
        key = _unique_key(base, taken)
        taken.add(key)
        result.append((key, group))
    return tuple(sorted(result, key=lambda item: item[0]))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")


def _unique_key(base: str, taken: set[str]) -> str:
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


# -- a starter desired state for a folder that has none ---------------------------------------


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A live user or group the starter does not declare, why, and what to do about it."""

    subject: str  # the e-mail, or "group 'Name' (id)"
    reason: str
    advice: str

    def line(self) -> str:
        """One printable line, for the report and the files' comments."""
        return _one_line(f"{self.subject}: {self.reason}; {self.advice}")


@dataclass(frozen=True, slots=True)
class Starter:
    """A complete desired state whose first plan against `live` has no operations."""

    listed: tuple[ListedUser, ...]  # every live user (all New: nothing is declared yet)
    users: tuple[LiveUser, ...]  # declared, sorted by e-mail
    groups: tuple[tuple[str, LiveGroup], ...] | None  # declared (None: without --groups)
    left_out_users: tuple[LeftOut, ...]
    left_out_groups: tuple[LeftOut, ...]

    def files(self, *, live: Live, schema_ref: str = ".schema.json") -> dict[str, str]:
        """File name (inside the folder) -> text: tenant.yaml, users.yaml, groups.yaml."""
        files = {"tenant.yaml": starter_tenant_yaml(schema_ref=schema_ref)}
        users = _schema_line(schema_ref) + (
            "# Imported from TeamViewer by `reconcile import`, as they are live: the next plan\n"
            "# changes none of them. Inactive users are marked suspended so that joining a\n"
            "# group does not reactivate them by surprise (R3).\n"
        )
        users += _comment_block(
            "Live users left undeclared (so that no plan changes them)", self.left_out_users
        )
        files["users.yaml"] = users + dump_yaml({"users": [_user_entry(u) for u in self.users]})
        if self.groups is not None:
            groups = _schema_line(schema_ref) + (
                "# Imported from TeamViewer by `reconcile import`, pinned to their live ids\n"
                "# (R7) with their members as they are live (R12).\n"
            )
            groups += _comment_block(
                "Live groups left undeclared (unmanaged, R10)", self.left_out_groups
            )
            files["groups.yaml"] = groups + dump_yaml({"groups": _group_entries(self.groups, live)})
        return files


def _comment_block(title: str, items: tuple[LeftOut, ...]) -> str:
    if not items:
        return ""
    lines = [f"# {title}:"]
    lines += [f"#   - {item.line()}" for item in items]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    """A comment must stay one printable line: a name could hold a line break or a
    control character (which no YAML file may contain, not even in a comment). Those are
    escaped; spaces are kept as they are, so the name quoted is the one TeamViewer shows."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def starter_tenant_yaml(*, schema_ref: str = ".schema.json") -> str:
    """The starter tenant.yaml: the safe defaults, each one explained."""
    safety = Safety()
    return _schema_line(schema_ref) + (
        "# The tenant: how reconcile treats this TeamViewer company as a whole.\n"
        "# Written by `reconcile import`; every value is the default.\n"
        "tenant:\n"
        "  # Sent on user creation so new users sign in through SSO; never compared.\n"
        "  sso_customer_id: ${TEAMVIEWER_SSO_CUSTOMER_ID:-}\n"
        "  manage_groups: true\n"
        "  # Live users not declared in these files are reported and left as they are (R13).\n"
        "  unmanaged_users: ignore\n"
        "  enabled: true\n"
        "  # Users no plan may ever deactivate, whatever else the files say (R23). Add your\n"
        "  # break-glass admins and the account that owns the API token, for example:\n"
        "  #   protected_users: [it.admin@example.test]\n"
        "  protected_users: []\n"
        "  safety:\n"
        f"    max_deactivations: {safety.max_deactivations}\n"
        f"    max_deactivation_percent: {_number(safety.max_deactivation_percent)}\n"
        f"    max_group_deletions: {safety.max_group_deletions}\n"
        "    # Per group: members one group may lose in one apply (the percentage counts\n"
        "    # for groups of at least 10 members).\n"
        f"    max_removals_per_group: {safety.max_removals_per_group}\n"
        f"    max_removal_percent_per_group: {_number(safety.max_removal_percent_per_group)}\n"
    )


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def build_starter(*, live: Live, groups: bool) -> Starter:
    """Declare what can be declared exactly as it is live; list the rest with advice."""
    problems = _user_problems(live)
    declared_groups: tuple[tuple[str, LiveGroup], ...] | None = None
    left_out_groups: tuple[LeftOut, ...] = ()
    bound: set[str] = set()
    if groups:
        kept, left_out_groups = _declarable_groups(live, problems)
        declared_groups = _keyed(kept, taken=set())
        bound = {m for g in kept for m in g.member_ids}
    declared: list[LiveUser] = []
    left_out: list[LeftOut] = []
    for user in sorted(live.users, key=lambda u: u.key):
        problem = problems.get(user.id)
        if problem is not None:
            left_out.append(LeftOut(user.email, *problem))
        elif user.id in bound or not user.active:
            # In a declared group, or inactive: declared as it is, nothing changes (R3).
            declared.append(user)
        else:
            left_out.append(LeftOut(user.email, *_unbound_advice(groups=groups)))
    return Starter(
        listed=_listed(desired=Desired.build(), live=live),
        users=tuple(declared),
        groups=declared_groups,
        left_out_users=tuple(left_out),
        left_out_groups=left_out_groups,
    )


def _unbound_advice(*, groups: bool) -> tuple[str, str]:
    where = "in no group this import declares" if groups else "groups are not imported"
    return (
        f"active, {where}: declared without a group, the next plan would deactivate it (R3)",
        "to manage it, declare it in users.yaml and list it in a group's members; "
        "undeclared, it stays as it is (tenant.unmanaged_users: ignore, R13)",
    )


def _user_problems(live: Live) -> dict[str, tuple[str, str]]:
    """Live user id -> (reason, advice) for users the files cannot declare as they are."""
    keys = Counter(user.key for user in live.users)
    problems: dict[str, tuple[str, str]] = {}
    for user in live.users:
        address = email_problem(user.email)
        if address is not None:
            problems[user.id] = (
                f"its address cannot be declared ({address})",
                "fix the address in TeamViewer, or leave the account unmanaged",
            )
        elif keys[user.key] > 1:
            problems[user.id] = (
                "another live user has the same address, ignoring case (R1)",
                "remove the duplicate account in TeamViewer, then import again",
            )
        elif not user.display_name.strip():
            problems[user.id] = (
                "it has no name in TeamViewer, and a declared user needs one (R14)",
                "give it a name in TeamViewer, then import again",
            )
    return problems


def _declarable_groups(
    live: Live, user_problems: dict[str, tuple[str, str]]
) -> tuple[list[LiveGroup], tuple[LeftOut, ...]]:
    """Groups that can be declared exactly as they are: a name the files keep as it is
    (R8 compares it exactly), unique, and only members that can be declared (R12)."""
    kept: list[LiveGroup] = []
    left_out: list[LeftOut] = []
    first_with_name: dict[str, LiveGroup] = {}
    for group in sorted(live.groups, key=lambda g: (g.name, g.id)):
        subject = f"group '{group.name}' ({group.id})"
        blocked = sorted(live.users_by_id[m].email for m in group.member_ids if m in user_problems)
        if not group.name.strip():
            reason = ("it has no name", "give it a name in TeamViewer, then import again")
        elif group.name != group.name.strip():
            reason = (
                "its name starts or ends with spaces, which a declared name drops: "
                "declaring it would rename it (R8)",
                "trim the name in TeamViewer, then import again",
            )
        elif group.name in first_with_name:
            other = first_with_name[group.name]
            reason = (
                f"live group {other.id} has the same name, and declared names are unique",
                "rename one of them in TeamViewer, then import again",
            )
        elif blocked:
            reason = (
                f"members {', '.join(blocked)} cannot be declared (see users.yaml): without "
                "them the next plan would remove them from it (R12)",
                "fix those accounts in TeamViewer, then import again",
            )
        else:
            first_with_name[group.name] = group
            kept.append(group)
            continue
        left_out.append(LeftOut(subject, *reason))
    return kept, tuple(left_out)
