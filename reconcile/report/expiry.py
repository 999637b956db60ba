"""Expiry as the desired model carries it (R24): when a user's access ends, if ever.

The report shows "expiring soon" from this one seam; the desired model gains `expires`
with the expiry rule (R24), and until it does every user reads as not expiring.
"""

from __future__ import annotations

from datetime import datetime

from reconcile.desired.model import DesiredUser


def user_expires(user: DesiredUser) -> datetime | None:
    """The user's expiry time, when the desired model declares one."""
    value = getattr(user, "expires", None)
    return value if isinstance(value, datetime) else None
