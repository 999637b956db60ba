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


def _digest(document: object) -> str:
    # One C-accelerated json.dumps over plain lists is the fastest canonical form here.
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _by_id(item: LiveUser | LiveGroup) -> str:
    return item.id


def live_fingerprint(live: Live) -> str:
    """Users (id, email, name, active) and groups (id, name, sorted member ids), by id."""
    users = [[u.id, u.email, u.display_name, u.active] for u in sorted(live.users, key=_by_id)]
    groups = [[g.id, g.name, sorted(g.member_ids)] for g in sorted(live.groups, key=_by_id)]
    return _digest(["live", 1, users, groups])


def desired_fingerprint(desired: Desired) -> str:
    """Tenant settings, users by key and groups by key (members as a sorted set)."""
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
    groups = [
        [key, g.name, g.id, list(g.renamed_from), str(g.state), sorted(set(g.members))]
        for key, g in sorted(desired.groups.items())
    ]
    return _digest(["desired", 1, tenant_doc, users, groups])
