"""The report's values as plain JSON-ready data, shared by the JSON and CSV renderers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconcile.report.git import Commit
from reconcile.report.history import Event, Point
from reconcile.report.model import Row, UserEntry


def when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def commit_to_dict(commit: Commit | None) -> dict[str, Any] | None:
    if commit is None:
        return None
    return {
        "sha": commit.sha,
        "date": commit.date.isoformat(),
        "author": commit.author,
        "author_email": commit.author_email,
        "subject": commit.subject,
        "pr": commit.pr,
    }


def row_to_dict(row: Row) -> dict[str, Any]:
    return {
        "email": row.email,
        "name": row.name,
        "group": row.group or None,
        "group_name": row.group_name or None,
        "state": row.state.value,
        "declared": row.declared,
        "live": row.live.value if row.live else None,
        "since": commit_to_dict(row.since),
        "expires": when(row.expires),
    }


def user_to_dict(user: UserEntry) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "state": user.state.value,
        "declared": user.declared,
        "live_active": user.live_active,
        "live_name": user.live_name,
        "expires": when(user.expires),
        "mismatches": list(user.mismatches),
    }


def event_to_dict(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind.value,
        "group": event.group,
        "group_name": event.group_name,
        "email": event.email,
        "name": event.name,
        "commit": commit_to_dict(event.commit),
    }


def point_to_dict(point: Point) -> dict[str, Any]:
    return {
        "date": point.date.isoformat(),
        "active_users": point.active_users,
        "memberships": point.memberships,
        "commit": point.commit,
    }
