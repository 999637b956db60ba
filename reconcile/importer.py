"""`reconcile import`: live users (and groups) not yet declared, as desired-state YAML.

Pure: (Desired, Live) in, an `Import` out; the command writes it. Like JumpCloud's
import, each live user is listed as New (not declared yet) or Imported (declared).
Imported users are written without a group, so they are unbound (R2) until someone
adds them to a group: the next plan would deactivate them (R3) - the command says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import yaml

from reconcile.desired.model import Desired
from reconcile.live.model import Live, LiveGroup, LiveUser


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
        header = f"# yaml-language-server: $schema={schema_ref}\n" if schema_ref else ""
        header += (
            "# Imported from TeamViewer by `reconcile import`. A user here who is in no present\n"
            "# group is unbound: add them to a group, or the next plan deactivates them (R3).\n"
        )
        document: dict[str, Any] = {"users": [_user_entry(u) for u in self.new_users]}
        if self.new_groups:
            document["groups"] = {
                key: {
                    "name": group.name,
                    "id": group.id,
                    "members": sorted(
                        live.users_by_id[m].email for m in group.member_ids if m in live.users_by_id
                    ),
                }
                for key, group in self.new_groups
            }
        body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
        return header + body


def _user_entry(user: LiveUser) -> dict[str, Any]:
    entry: dict[str, Any] = {"email": user.email, "display_name": user.display_name}
    if not user.active:
        # Keep an inactive account inactive even once it joins a group (R3).
        entry["suspended"] = True
    return entry


def build_import(*, desired: Desired, live: Live, groups: bool) -> Import:
    listed = tuple(
        ListedUser(u, ImportStatus.IMPORTED if u.key in desired.users else ImportStatus.NEW)
        for u in sorted(live.users, key=lambda u: u.key)
    )
    new_users = tuple(item.user for item in listed if item.status is ImportStatus.NEW)
    new_groups: tuple[tuple[str, LiveGroup], ...] = ()
    if groups:
        new_groups = _unmanaged_groups(desired=desired, live=live)
    return Import(listed=listed, new_users=new_users, new_groups=new_groups)


def _unmanaged_groups(*, desired: Desired, live: Live) -> tuple[tuple[str, LiveGroup], ...]:
    """Live groups no declared group matches by id, renamed_from or name (R7, R10)."""
    claimed_ids = {g.id for g in desired.groups.values() if g.id}
    claimed_names = {g.name for g in desired.groups.values()}
    claimed_names.update(n for g in desired.groups.values() for n in g.renamed_from)
    taken_keys = set(desired.groups)
    result = []
    for group in sorted(live.groups, key=lambda g: (g.name, g.id)):
        if group.id in claimed_ids or group.name in claimed_names:
            continue
        key = _unique_key(_slug(group.name) or group.id, taken_keys)
        taken_keys.add(key)
        result.append((key, group))
    return tuple(sorted(result, key=lambda item: item[0]))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")


def _unique_key(base: str, taken: set[str]) -> str:
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key
