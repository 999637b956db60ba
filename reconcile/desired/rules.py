"""Cross-file rules and the merge into one `Desired` (pure: no I/O).

Checked here, across all files: one definition per user (R1, case-insensitive), group key,
group name (a warning when names differ only by case), `id` pin and tenant key;
`renamed_from` entries that name another group; members that are not declared users (with
a close match suggested) or listed twice in one group.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from reconcile.desired.diagnostics import Diagnostic
from reconcile.desired.expiry import parse_expires
from reconcile.desired.model import (
    NO_EXPIRIES,
    Desired,
    DesiredGroup,
    DesiredUser,
    Expiry,
    GroupState,
    Location,
    Safety,
    Service,
    Tenant,
    UnmanagedUsers,
    desired_user,
)
from reconcile.desired.places import FilePlaces
from reconcile.desired.rows import GroupRow, UserRow, clean
from reconcile.identity import email_key

MAX_SUGGESTED = 50  # typo suggestions cost a scan of all users: only for the first few


@dataclass(frozen=True, slots=True)
class TenantEntry:
    name: str
    value: Any
    location: Location


@dataclass(frozen=True, slots=True)
class FileEntries:
    """The valid users and groups of one file, as rows (rows.py), and where each is written."""

    places: FilePlaces
    users: list[UserRow]
    groups: list[GroupRow]
    # Per group, when filled: its members already resolved to user keys (resolve_members),
    # None where the merge must resolve them itself.
    resolved: list[list[str] | None] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GroupEntry:
    key: str
    location: Location  # the group's key
    places: FilePlaces

    def value_location(self, name: str) -> Location:
        return self.places.group_value(self.key, name)

    def expires_location(self, index: int) -> Location:
        """Where member `index` (a `{email, expires}` mapping) writes its expiry."""
        return self.places.member_expires(self.key, index)

    def item_location(self, name: str, index: int) -> Location:
        return self.places.group_item(self.key, name, index)


@dataclass(slots=True)
class Collected:
    """What the files declare, in file order, before the cross-file rules run (the
    loader fills it, `build_desired` merges it)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    tenant: list[TenantEntry] = field(default_factory=list)
    files: list[FileEntries] = field(default_factory=list)  # in file order
    # e-mails of users whose entry has errors: already reported, so not "undeclared" members
    invalid_user_keys: set[str] = field(default_factory=set)
    # (e-mail key, where) of those entries: still checked for duplicates, so that a run
    # reports a duplicate e-mail even when one of the two entries has another error
    invalid_users: list[tuple[str, Location]] = field(default_factory=list)

    def error(self, location: Location | None, message: str) -> None:
        self.diagnostics.append(Diagnostic(location, message))


def build_desired(collected: Collected, users: dict[str, DesiredUser]) -> Desired:
    """Merge the collected entries, appending every cross-file problem to `collected`.
    `users`: what `merge_users` made of the same entries (a step of its own, so that the
    loader can resolve members meanwhile)."""
    report = collected.diagnostics
    tenant = _merge_tenant(collected.tenant, report)
    _check_invalid_duplicates(collected.invalid_users, users, report)
    groups = _merge_groups(collected.files, users, collected.invalid_user_keys, report)
    _check_protected_expiries(tenant, users, groups, report)
    return Desired(tenant=tenant, users=MappingProxyType(users), groups=MappingProxyType(groups))


def _check_protected_expiries(
    tenant: Tenant,
    users: dict[str, DesiredUser],
    groups: dict[str, DesiredGroup],
    report: list[Diagnostic],
) -> None:
    """R23 beats R24: an expiry would one day deactivate an account that must never be."""
    if not tenant.protected_users:
        return
    where = tenant.locations.get("protected_users")
    fix = (
        f"protected users (R23, tenant.protected_users at {where}) never lose access by "
        "themselves: remove the `expires`, or remove the user from protected_users"
    )
    for key in sorted(tenant.protected_users):
        user = users.get(key)
        if user is not None and user.expires is not None:
            _error(report, user.expires.location, f"'{user.email}' has an expiry (R24); {fix}")
    for group in groups.values():
        if not group.present:
            continue  # a deleted group's expiries change nothing (R9)
        for member, expiry in sorted(group.expiries.items()):
            if member in tenant.protected_users:
                _error(
                    report,
                    expiry.location,
                    f"'{member}' has an expiry in group '{group.key}' (R24); {fix}",
                )


def _error(report: list[Diagnostic], location: Location | None, message: str) -> None:
    report.append(Diagnostic(location, message))


def _merge_tenant(entries: Iterable[TenantEntry], report: list[Diagnostic]) -> Tenant:
    values: dict[str, TenantEntry] = {}
    for entry in entries:
        first = values.get(entry.name)
        if first is not None:
            _error(
                report,
                entry.location,
                f"tenant.{entry.name} is set twice (also at {first.location}): keep one",
            )
            continue
        values[entry.name] = entry
    settings: dict[str, Any] = {name: entry.value for name, entry in values.items()}
    safety = settings.get("safety")
    service = settings.get("service")
    sso = settings.get("sso_customer_id")
    return Tenant(
        sso_customer_id=clean(sso) if isinstance(sso, str) else None,
        manage_groups=settings.get("manage_groups", True),
        unmanaged_users=UnmanagedUsers(settings.get("unmanaged_users", "ignore")),
        enabled=settings.get("enabled", True),
        expiry_warning_days=settings.get("expiry_warning_days", 7),
        safety=(
            Safety(
                max_deactivations=safety.max_deactivations,
                max_deactivation_percent=float(safety.max_deactivation_percent),
                max_group_deletions=safety.max_group_deletions,
                max_removals_per_group=safety.max_removals_per_group,
                max_removal_percent_per_group=float(safety.max_removal_percent_per_group),
            )
            if safety is not None
            else Safety()
        ),
        protected_users=frozenset(email_key(e) for e in settings.get("protected_users") or ()),
        service=(
            Service(max_members_per_request=service.max_members_per_request)
            if service is not None
            else Service()
        ),
        locations=MappingProxyType({name: entry.location for name, entry in values.items()}),
    )


def merge_users(files: Iterable[FileEntries], report: list[Diagnostic]) -> dict[str, DesiredUser]:
    users: dict[str, DesiredUser] = {}
    for file in files:
        places = file.places
        for row in file.users:
            key, email, first, last, display, suspended, expired, language, expires, index, name = (
                row
            )
            first_user = users.get(key)
            if first_user is not None:
                _error(
                    report,
                    places.user_value(index, "email"),
                    f"user '{email}' is declared twice (also at {first_user.location}); "
                    "e-mails are compared ignoring case (R1): keep one",
                )
                continue
            expiry = None
            if expires is not None:
                expiry = _expiry(expires, places.user_value(index, "expires"))
            users[key] = desired_user(
                email, first, last, display, suspended, expired, language, expiry,
                places.user(index), name,
            )  # fmt: skip
    return users


def _expiry(text: str | None, location: Location | None) -> Expiry | None:
    """R24: the schema has checked the value already; this only converts it."""
    if text is None:
        return None
    at, written = parse_expires(text)
    return Expiry(at=at, text=written, location=location)


def _check_invalid_duplicates(
    invalid: list[tuple[str, Location]], users: dict[str, DesiredUser], report: list[Diagnostic]
) -> None:
    """Duplicate e-mails (R1) that involve a user entry with other errors."""
    seen: dict[str, Location] = {}
    for key, location in invalid:
        first = users[key].location if key in users else seen.get(key)
        if first is not None:
            _error(
                report,
                location,
                f"user '{key}' is declared twice (also at {first}); e-mails are compared "
                "ignoring case (R1): keep one",
            )
        else:
            seen[key] = location


class _MemberSuggester:
    """Close matches for a mistyped member, limited to the first few (each scans all users)."""

    def __init__(self, users: dict[str, DesiredUser]) -> None:
        self.users = users
        self.cache: dict[str, str] = {}

    def hint(self, member: str) -> str:
        if member in self.cache:
            return self.cache[member]
        hint = ""
        if len(self.cache) < MAX_SUGGESTED:
            near = [k for k in self.users if abs(len(k) - len(member)) <= 3]
            close = difflib.get_close_matches(member, near, n=1, cutoff=0.8)
            if close:
                hint = f"; did you mean '{self.users[close[0]].email}'?"
        if any(ord(char) > 127 for char in member):
            hint += " (it contains non-ASCII look-alike characters)"
        self.cache[member] = hint
        return hint


def _merge_groups(
    files: Iterable[FileEntries],
    users: dict[str, DesiredUser],
    invalid_user_keys: set[str],
    report: list[Diagnostic],
) -> dict[str, DesiredGroup]:
    groups: dict[str, DesiredGroup] = {}
    kept: list[GroupEntry] = []
    suggester = _MemberSuggester(users)
    shared = _SharedKeys(users)
    # Member as written -> the declared user's own key object; the cache saves re-keying
    # addresses that repeat a lot.
    keys: dict[str, str] = {}
    known = as_declared(users).get
    for file in files:
        places = file.places
        for position, row in enumerate(file.groups):
            key, name, pin, renamed_from, state, written, ordered, expiring, distinct, as_keys = row
            entry = GroupEntry(key, places.group(key), places)
            first = groups.get(key)
            if first is not None:
                _error(
                    report,
                    entry.location,
                    f"group '{key}' is declared twice (also at {first.location}): keep one",
                )
                continue
            resolved = file.resolved[position] if file.resolved else None
            if resolved is None:
                found = list(map(known, ordered))
                resolved = _resolution(found, distinct)
            if resolved is not None:
                members = resolved
            else:
                members = [
                    k if k is not None else keys.setdefault(m, shared(email_key(m)))
                    for k, m in zip(found, ordered, strict=True)
                ]
                if not users.keys() >= set(members) or len(set(members)) != len(members):
                    # the slow path, only for a group with a problem: report each one, at
                    # its place (so in the order written)
                    members = _check_members(
                        entry, written, users, invalid_user_keys, suggester, report
                    )
                    members = [shared(m) for m in members]
            # Sorted: the order of a member list carries no meaning, and sorted members make
            # the plan's fingerprint of the desired state a linear pass, not a sort per group.
            # Resolved from `ordered`, members written as their keys are sorted already.
            if resolved is None or not as_keys:
                members.sort()
            expiries = NO_EXPIRIES
            if expiring:
                expiries = MappingProxyType(
                    {
                        shared(email_key(written[index])): Expiry(
                            *parse_expires(text), location=entry.expires_location(index)
                        )
                        for index, text in expiring
                    }
                )
            groups[key] = DesiredGroup(
                key=key,
                name=name,
                id=pin,
                renamed_from=renamed_from,
                state=_STATES[state],
                members=tuple(members),
                expiries=expiries,
                location=entry.location,
            )
            kept.append(entry)
    _check_names(kept, groups, report)
    return groups


def as_declared(users: dict[str, DesiredUser]) -> dict[str, str]:
    """Every e-mail as declared (trimmed, so its key is the user's own key) -> that key:
    nearly every member is written that way and resolves with one lookup."""
    return {user.email: key for key, user in users.items()}


def resolve_members(groups: Iterable[GroupRow], lookup: Callable[[str], Any]) -> list[Any]:
    """Per group, `lookup` of each member in sorted order, when every member is found and
    none is written twice; else None (the merge then finds and reports each problem).

    Pure, and `lookup` may return anything: the merge passes `as_declared(...).get` (the
    user's own key object, see "Shared objects" in plan/planner.py), the helper process of
    the loader a position in the list of declared e-mails (large_files.py).
    """
    return [_resolution(list(map(lookup, row[6])), row[8]) for row in groups]


def _resolution(found: list[Any], distinct: bool) -> list[Any] | None:
    """`found` (a group's members looked up), if every one was found and none written twice.
    As each declared user has one declared e-mail, distinct e-mails are distinct users."""
    return found if distinct and None not in found else None


class _SharedKeys:
    """The declared user's own key object equal to a key, else the key itself ("Shared
    objects" in plan/planner.py). Its table is built on first use: the members of a valid
    folder, written as declared, never need it."""

    def __init__(self, users: dict[str, DesiredUser]) -> None:
        self._users = users
        self._own: dict[str, str] | None = None

    def __call__(self, key: str) -> str:
        if self._own is None:
            self._own = {own: own for own in self._users}
        return self._own.get(key, key)


_STATES = {state.value: state for state in GroupState}


def _check_members(
    entry: GroupEntry,
    written: Iterable[str],
    users: dict[str, DesiredUser],
    invalid_user_keys: set[str],
    suggester: _MemberSuggester,
    report: list[Diagnostic],
) -> list[str]:
    """The group's members without repeats, reporting repeats and undeclared users."""
    members: list[str] = []
    seen: dict[str, int] = {}
    for index, member in enumerate(written):
        key = email_key(member)
        if key in seen:
            _error(
                report,
                entry.item_location("members", index),
                f"'{member.strip()}' is listed twice in group '{entry.key}' (first as "
                f"member {seen[key] + 1}): remove one",
            )
            continue
        seen[key] = index
        if key not in users and key not in invalid_user_keys:
            _error(
                report,
                entry.item_location("members", index),
                f"member '{member.strip()}' of group '{entry.key}' is not a declared user"
                f"{suggester.hint(key)}: add it under 'users' or fix the address",
            )
        members.append(key)
    return members


def _claim(claims: dict[str, GroupEntry], value: str, entry: GroupEntry) -> GroupEntry | None:
    """The entry that claimed `value` first; None (and `entry` claims it) when none did."""
    first = claims.get(value)
    if first is None:
        claims[value] = entry
    return first


def _check_names(
    entries: list[GroupEntry], groups: dict[str, DesiredGroup], report: list[Diagnostic]
) -> None:
    """One group per name and per `id` pin; `renamed_from` names no other group."""
    by_name = _check_unique_names_and_ids(entries, groups, report)
    _check_renamed_from(entries, groups, by_name, report)


def _check_unique_names_and_ids(
    entries: list[GroupEntry], groups: dict[str, DesiredGroup], report: list[Diagnostic]
) -> dict[str, GroupEntry]:
    by_name: dict[str, GroupEntry] = {}
    by_folded: dict[str, GroupEntry] = {}
    by_id: dict[str, GroupEntry] = {}
    for entry in entries:
        group = groups[entry.key]
        other = _claim(by_name, group.name, entry)
        if other is not None:
            _error(
                report,
                entry.value_location("name"),
                f"group name '{group.name}' is used by groups '{other.key}' (at "
                f"{other.location}) and '{entry.key}': TeamViewer group names must be unique",
            )
        elif (folded := _claim(by_folded, group.name.casefold(), entry)) is not None:
            report.append(
                Diagnostic(
                    entry.value_location("name"),
                    f"group names '{groups[folded.key].name}' (at {folded.location}) and "
                    f"'{group.name}' differ only by case: easy to confuse",
                    "warning",
                )
            )
        pinned = None if group.id is None else _claim(by_id, group.id, entry)
        if pinned is not None:
            _error(
                report,
                entry.value_location("id"),
                f"groups '{pinned.key}' (at {pinned.location}) and '{entry.key}' are both "
                f"pinned to id '{group.id}': one live group can back only one declared group",
            )
    return by_name


def _check_renamed_from(
    entries: list[GroupEntry],
    groups: dict[str, DesiredGroup],
    by_name: dict[str, GroupEntry],
    report: list[Diagnostic],
) -> None:
    former: dict[str, GroupEntry] = {}
    for entry in entries:
        for index, old in enumerate(groups[entry.key].renamed_from):
            where = entry.item_location("renamed_from", index)
            owner = by_name.get(old)
            if owner is not None and owner.key != entry.key:
                _error(
                    report,
                    where,
                    f"group '{entry.key}' is renamed from '{old}', but group '{owner.key}' (at "
                    f"{owner.location}) is still named '{old}': remove one of them",
                )
            elif owner is not None:
                report.append(
                    Diagnostic(
                        where,
                        f"group '{entry.key}' lists its own name '{old}' in renamed_from",
                        "warning",
                    )
                )
            claimed = _claim(former, old, entry)
            if claimed is not None and claimed.key != entry.key:
                _error(
                    report,
                    where,
                    f"groups '{claimed.key}' (at {claimed.location}) and '{entry.key}' are both "
                    f"renamed from '{old}': only one can take the old group over",
                )
            elif claimed is not None:
                _error(report, where, f"'{old}' is listed twice in renamed_from: remove one")
