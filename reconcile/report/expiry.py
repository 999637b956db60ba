"""Expiry as the desired model carries it: when a user's or a membership's access ends.

The report shows "expiring soon" through this one seam. The expiry rule's model gives a
user `expires` and a group `expiries` (member key -> expiry), each an `Expiry` whose `at`
is the first instant without access; until the desired model carries them, every user
and membership reads as not expiring. Read by attribute name so that this module works on
either side of that change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from reconcile.desired.model import DesiredGroup, DesiredUser, Tenant

DEFAULT_WARNING = timedelta(days=30)


def _instant(value: object) -> datetime | None:
    """An Expiry's `at` (or a plain datetime)."""
    if isinstance(value, datetime):
        return value
    at = getattr(value, "at", None)
    return at if isinstance(at, datetime) else None


def user_expires(user: DesiredUser) -> datetime | None:
    """When all of the user's access ends, when declared."""
    return _instant(getattr(user, "expires", None))


def membership_expires(group: DesiredGroup, member: str) -> datetime | None:
    """When the membership of `member` (an e-mail key) in `group` ends, when declared."""
    expiries = getattr(group, "expiries", None)
    return _instant(expiries.get(member)) if isinstance(expiries, Mapping) else None


def warning_window(tenant: Tenant) -> timedelta:
    """How far ahead an expiry counts as soon: the tenant's own warning, else 30 days."""
    days = getattr(tenant, "expiry_warning_days", None)
    return timedelta(days=days) if isinstance(days, int) and days >= 0 else DEFAULT_WARNING
