"""Fingerprints: sha256 of a canonical serialization of the live and desired states.

A saved plan carries both; apply recomputes the live one and refuses a stale plan (R21).
Each state computes its own fingerprint once, when it is built (like its indexes), so
planning, saving and checking a plan never hash the same million members twice.
Canonical means: sorted by id / key, members sorted, no dependence on input order.
Secrets never enter a fingerprint (the SSO customer id counts only as set / not set).

The serialization joins strings with control-character separators rather than going
through JSON (several times faster at a million member ids); whenever a value contains a
separator, that part falls back to JSON, so the encoding stays unambiguous.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from operator import attrgetter
from typing import TYPE_CHECKING

from reconcile.gcpause import cycle_collection_paused

if TYPE_CHECKING:  # the models call these functions when they are built
    from reconcile.desired.model import Desired
    from reconcile.live.model import Live

_SEP = "\x1f"  # unit separator, between fields and between member ids
_ROW = "\x1e"  # record separator, between users
_NUL = "\x00"  # "unset": NUL can be neither written in YAML nor sent as a SCIM string


def _joined(items: list[str]) -> str:
    """`items` joined by _SEP, or JSON when an item contains _SEP."""
    text = _SEP.join(items)
    if text.count(_SEP) != max(len(items) - 1, 0):
        return json.dumps(items, ensure_ascii=False)
    return text


def _rows(rows: Iterable[list[str]]) -> str:
    """Many small records as one string (fields by _SEP, rows by _ROW), else JSON."""
    materialized = list(rows)
    text = _ROW.join([_SEP.join(row) for row in materialized])
    separators = sum(len(row) - 1 for row in materialized) + max(len(materialized) - 1, 0)
    if text.count(_SEP) + text.count(_ROW) != separators:
        return json.dumps(materialized, ensure_ascii=False)
    return text


def live_user_row(*, id: str, email: str, display_name: str, active: bool) -> str | None:
    """A live user's row in the fingerprint, or None when a value holds a separator (the
    users are then serialized as JSON). Derived once, when the user is built."""
    row = _SEP.join((id, email, display_name, "1" if active else "0"))
    return row if row.count(_SEP) == 3 and _ROW not in row else None


def live_members_blob(member_ids: Iterable[str]) -> bytes:
    """A live group's sorted member ids as they enter the fingerprint. Derived once, when
    the group is built: a fetch builds groups while it waits for other pages, so sorting a
    million member ids no longer waits until the last page is in."""
    return _joined(sorted(member_ids)).encode("utf-8")


def _digest(document: list[object], records: list[tuple[list[object], str | bytes]]) -> str:
    """sha256 of one JSON document (with each record's header and the byte length of its
    blob), then of every blob in order."""
    blobs = [blob if isinstance(blob, bytes) else blob.encode("utf-8") for _, blob in records]
    headers = [[*header, len(data)] for (header, _), data in zip(records, blobs, strict=True)]
    digest = hashlib.sha256()
    text = json.dumps([*document, headers], ensure_ascii=False, separators=(",", ":"))
    digest.update(text.encode("utf-8"))
    for data in blobs:
        digest.update(data)
    return digest.hexdigest()


_by_id = attrgetter("id")  # a C call: it runs for every user and group


def live_fingerprint(live: Live) -> str:
    """Users (id, email, name, active) and groups (id, name, sorted member ids), by id."""
    with cycle_collection_paused():
        return _live_fingerprint(live)


def desired_fingerprint(desired: Desired) -> str:
    """Tenant settings, users by key and groups by key (members sorted)."""
    with cycle_collection_paused():
        return _desired_fingerprint(desired)


def _live_fingerprint(live: Live) -> str:
    users_by_id = sorted(live.users, key=_by_id)
    rows = [u.fingerprint_row for u in users_by_id if u.fingerprint_row is not None]
    if len(rows) == len(users_by_id):
        users = _ROW.join(rows)
    else:  # a value holds a separator: the same JSON as `_rows` falls back to
        users = _rows(
            [u.id, u.email, u.display_name, "1" if u.active else "0"] for u in users_by_id
        )
    groups: list[tuple[list[object], str | bytes]] = [
        ([g.id, g.name], g.fingerprint_members) for g in sorted(live.groups, key=_by_id)
    ]
    return _digest(["live", 2], [(["users"], users), *groups])


def _desired_fingerprint(desired: Desired) -> str:
    tenant = desired.tenant
    safety = tenant.safety
    tenant_doc = [
        tenant.sso_customer_id is not None,
        tenant.manage_groups,
        str(tenant.unmanaged_users),
        tenant.enabled,
        [safety.max_deactivations, safety.max_deactivation_percent, safety.max_group_deletions],
    ]
    users = _rows(
        [
            key,
            u.email,
            # Inline rather than helper calls: this runs for every declared user.
            _NUL if u.first_name is None else u.first_name,
            _NUL if u.last_name is None else u.last_name,
            _NUL if u.display_name is None else u.display_name,
            "1" if u.suspended else "0",
            "1" if u.password_expired else "0",
            _NUL if u.language is None else u.language,
        ]
        for key, u in sorted(desired.users.items())
    )
    groups: list[tuple[list[object], str | bytes]] = [
        ([key, g.name, g.id, list(g.renamed_from), str(g.state)], _joined(sorted(g.members)))
        for key, g in sorted(desired.groups.items())
    ]
    records: list[tuple[list[object], str | bytes]] = [(["users"], users), *groups]
    expiries = _expiry_rows(desired)
    if expiries:  # R24; absent without expiries, so older states keep their fingerprint
        records.append((["expiries", tenant.expiry_warning_days], _rows(expiries)))
    return _digest(["desired", 2, tenant_doc], records)


def _expiry_rows(desired: Desired) -> list[list[str]]:
    """(user key, group key or "", expiry instant) for every declared expiry, sorted."""
    rows = [
        [key, "", u.expires.at.isoformat()]
        for key, u in desired.users.items()
        if u.expires is not None
    ]
    for gkey, group in desired.groups.items():
        rows.extend([member, gkey, e.at.isoformat()] for member, e in group.expiries.items())
    rows.sort()
    return rows
