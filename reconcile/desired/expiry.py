"""R24 expiry dates: parsing `expires` values and listing the expiries of a desired state.

The YAML reader keeps dates as text (YAML 1.2 core schema), so `expires` is parsed here,
explicitly: a date (`2027-03-31`) means access through the end of that day in UTC; a full
ISO 8601 timestamp must carry its offset (`2027-03-31T18:00:00+02:00`, or `Z`), because a
time without one would mean something different on every runner.

Nothing here reads a clock: every function that needs the time takes `now`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from reconcile.desired.model import Desired, Expiry
from reconcile.text import plural

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
EXPIRES_HINT = (
    "write a date (2027-03-31: access through the end of that day, UTC) or a full ISO 8601 "
    "timestamp with its offset (2027-03-31T18:00:00+02:00 or 2027-03-31T16:00:00Z)"
)


class ExpiresError(ValueError):
    """An `expires` value that is not a date or a timestamp with an offset."""


def parse_expires(text: str) -> tuple[datetime, str]:
    """(the first instant without access, in UTC; the text as written, trimmed).

    Raises ExpiresError with what is wrong and what to write instead.
    """
    value = text.strip()
    if _DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise ExpiresError(f"'{value}' is not a calendar date ({exc}): {EXPIRES_HINT}") from exc
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1), value
    if not _TIMESTAMP.match(value):
        raise ExpiresError(f"'{value}' is not a date or a timestamp: {EXPIRES_HINT}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ExpiresError(f"'{value}' is not a valid timestamp: {EXPIRES_HINT}") from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ExpiresError(
            f"'{value}' has no UTC offset, so it would mean a different moment on every "
            f"machine: add one (+02:00, or Z for UTC), or give just the date"
        )
    return moment.astimezone(UTC), value


def parse_now(text: str) -> datetime:
    """A `--now` value: the same forms as `expires`, a date meaning its start (00:00 UTC)."""
    value = text.strip()
    if _DATE.match(value):
        at, _ = parse_expires(value)
        return at - timedelta(days=1)
    at, _ = parse_expires(value)
    return at


@dataclass(frozen=True, slots=True, order=True)
class Expiring:
    """One declared expiry: a membership (`group` is its key) or a whole user's access."""

    expiry: Expiry
    email: str
    group: str | None  # None: the user's own `expires`, for all of their groups

    @property
    def what(self) -> str:
        if self.group is None:
            return f"{self.email}'s access"
        return f"{self.email}'s membership of group '{self.group}'"


def declared_expiries(desired: Desired) -> Iterator[Expiring]:
    """Every expiry the desired state declares (memberships of present groups only)."""
    for user in desired.users.values():
        if user.expires is not None:
            yield Expiring(user.expires, user.email, None)
    for key, group in desired.groups.items():
        if not group.present:
            continue  # a deleted group's members lose it anyway (R9)
        for member, expiry in group.expiries.items():
            declared = desired.users.get(member)
            yield Expiring(expiry, declared.email if declared is not None else member, key)


def expiries_between(desired: Desired, *, start: datetime, end: datetime) -> list[Expiring]:
    """Expiries with start < at <= end (not yet passed at start), soonest first."""
    return sorted(e for e in declared_expiries(desired) if start < e.expiry.at <= end)


def past_expiries(desired: Desired, *, now: datetime) -> list[Expiring]:
    """Entries already past their expiry: clean-up candidates for `validate`."""
    return sorted(e for e in declared_expiries(desired) if e.expiry.passed(now))


_DURATION = re.compile(r"(\d+)\s*([wdhm])\Z")
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1),
          "m": timedelta(minutes=1)}  # fmt: skip


def parse_duration(text: str) -> timedelta:
    """`14d`, `2w`, `12h`, `30m`; raises ExpiresError saying what to write."""
    found = _DURATION.match(text.strip().lower())
    if not found:
        raise ExpiresError(
            f"'{text}' is not a duration: write a number and a unit, like 14d, 2w, 12h or 30m"
        )
    return int(found.group(1)) * _UNITS[found.group(2)]


def describe_delay(delta: timedelta) -> str:
    """'in 3 days', 'in 5 hours', 'in 20 minutes' for an expiry ahead of now."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds >= 2 * 86400:
        return f"in {plural(seconds // 86400, 'day')}"
    if seconds >= 2 * 3600:
        return f"in {plural(seconds // 3600, 'hour')}"
    return f"in {plural(max(seconds // 60, 1), 'minute')}"
