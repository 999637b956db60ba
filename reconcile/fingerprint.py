"""Fingerprints: sha256 of a canonical serialization of the live and desired states.

A saved plan carries both; apply plans again and refuses a stale plan (R21). Each state
derives its fingerprint once, when it is built (like its indexes), so planning, saving and
checking a plan never hash the same million members twice; these functions compute it
afresh from a state's fields. Secrets never enter a fingerprint (the SSO customer id
counts only as set / not set).

Layering: `reconcile.canonical` (the encoding, no models) <- the models (which feed it
their fields) <- this module (the public entry). Nothing here is imported by a model.
"""

from __future__ import annotations

from reconcile.desired.model import Desired, desired_state_digest
from reconcile.live.model import Live, live_state_digest


def live_fingerprint(live: Live) -> str:
    """Users (id, email, name, active) and groups (id, name, sorted member ids), by id."""
    return live_state_digest(users=live.users, groups=live.groups)


def desired_fingerprint(desired: Desired) -> str:
    """Tenant settings, users by key and groups by key (members sorted)."""
    return desired_state_digest(tenant=desired.tenant, users=desired.users, groups=desired.groups)
