"""Fingerprints: sha256 of a canonical serialization of the live and desired states.

A saved plan carries both; apply recomputes the live one and refuses a stale plan (R21).
Canonical means: sorted by id / key, members sorted, no dependence on input order.
Secrets never enter a fingerprint (the SSO customer id counts only as set / not set).
"""

from __future__ import annotations

import hashlib
import json

from reconcile.desired.model import Desired
from reconcile.live.model import Live, LiveGroup, LiveUser

_SEP = "\x1f"  # unit separator: never part of an id or an e-mail key


def _joined(items: list[str]) -> str:
    """`items` joined by _SEP, or JSON when an item contains _SEP (then joining would be
    ambiguous). Joining is several times faster than JSON for a million member ids."""
    text = _SEP.join(items)
    if text.count(_SEP) != max(len(items) - 1, 0):
        return json.dumps(items, ensure_ascii=False)
    return text


def _digest(document: list[object], records: list[tuple[list[object], str]]) -> str:
    """sha256 of one JSON document (with each record's header and blob byte length),
    then of every blob in order: unambiguous, and the megabytes of member ids go to the
    hash as they are instead of through the JSON encoder."""
    blobs = [blob.encode("utf-8") for _, blob in records]
    headers = [[*header, len(data)] for (header, _), data in zip(records, blobs, strict=True)]
    digest = hashlib.sha256()
    text = json.dumps([*document, headers], ensure_ascii=False, separators=(",", ":"))
    digest.update(text.encode("utf-8"))
    for data in blobs:
        digest.update(data)
    return digest.hexdigest()


def _by_id(item: LiveUser | LiveGroup) -> str:
    return item.id


def live_fingerprint(live: Live) -> str:
    """Users (id, email, name, active) and groups (id, name, sorted member ids), by id."""
    users = [[u.id, u.email, u.display_name, u.active] for u in sorted(live.users, key=_by_id)]
    groups: list[tuple[list[object], str]] = [
        ([g.id, g.name], _joined(sorted(g.member_ids))) for g in sorted(live.groups, key=_by_id)
    ]
    return _digest(["live", 1, users], groups)


def desired_fingerprint(desired: Desired) -> str:
    """Tenant settings, users by key and groups by key (members sorted)."""
    tenant = desired.tenant
    safety = tenant.safety
    tenant_doc = [
        tenant.sso_customer_id is not None,
        tenant.manage_groups,
        str(tenant.unmanaged_users),
        tenant.enabled,
        [safety.max_deactivations, safety.max_deactivation_percent, safety.max_group_deletions],
    ]
    users = [
        [
            key,
            u.email,
            u.first_name,
            u.last_name,
            u.display_name,
            u.suspended,
            u.password_expired,
            u.language,
        ]
        for key, u in sorted(desired.users.items())
    ]
    groups: list[tuple[list[object], str]] = [
        ([key, g.name, g.id, list(g.renamed_from), str(g.state)], _joined(sorted(g.members)))
        for key, g in sorted(desired.groups.items())
    ]
    return _digest(["desired", 1, tenant_doc, users], groups)
