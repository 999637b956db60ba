"""Expiry (R24) as the report shows it: when a user's or a membership's access ends.

The desired model carries a user's `expires` and a group's `expiries` (member key ->
Expiry), each with `at`, the first instant without access. An expiry within the tenant's
warning window (`expiry_warning_days`, the one the plans announce with) is "expiring
soon"; a passed one counts as absent, as in the planner.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from reconcile.desired.model import DesiredGroup, DesiredUser, Tenant


def user_expires(user: DesiredUser) -> datetime | None:
    """When all of the user's access ends, when declared."""
    return user.expires.at if user.expires is not None else None


def membership_expires(group: DesiredGroup, member: str) -> datetime | None:
    """When the membership of `member` (an e-mail key) in `group` ends, when declared."""
    expiry = group.expiries.get(member)
    return expiry.at if expiry is not None else None


def warning_window(tenant: Tenant) -> timedelta:
    """How far ahead an expiry counts as soon: the tenant's warning, as plans use it."""
    return timedelta(days=tenant.expiry_warning_days)
