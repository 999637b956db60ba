"""`reconcile expiring`: the expiries (R24) ahead, as text, Markdown or JSON.

Read from the desired state alone (no service is contacted): who, which group, when, and
where the expiry is declared, soonest first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reconcile.desired.expiry import Expiring, describe_delay, expiries_between
from reconcile.desired.model import Desired
from reconcile.plan.model import FORMAT_VERSION
from reconcile.plan.render.markdown import code, escape


@dataclass(frozen=True, slots=True)
class ExpiringReport:
    now: datetime
    until: datetime
    entries: tuple[Expiring, ...]
    group_names: dict[str, str]

    @classmethod
    def of(cls, desired: Desired, *, now: datetime, within: timedelta) -> ExpiringReport:
        until = now + within
        return cls(
            now=now,
            until=until,
            entries=tuple(expiries_between(desired, start=now, end=until)),
            group_names={key: group.name for key, group in desired.groups.items()},
        )

    def group_of(self, entry: Expiring) -> str:
        if entry.group is None:
            return "all groups (the user's own expires)"
        return f"{entry.group} ({self.group_names.get(entry.group, entry.group)})"

    def line(self) -> str:
        span = f"from {self.now.isoformat()} to {self.until.isoformat()}"
        if not self.entries:
            return f"No expiries {span}."
        count = len(self.entries)
        return f"{count} {'expiry' if count == 1 else 'expiries'} {span}."


def render_expiring_text(report: ExpiringReport) -> str:
    lines = [report.line()]
    for entry in report.entries:
        where = f"  declared at {entry.expiry.location}" if entry.expiry.location else ""
        lines.append(
            f"  {entry.expiry.text}  {entry.email}  {report.group_of(entry)}  "
            f"{describe_delay(entry.expiry.at - report.now)}{where}"
        )
    return "\n".join(lines) + "\n"


def render_expiring_markdown(report: ExpiringReport) -> str:
    out = ["### reconcile: expiries ahead", "", f"**{escape(report.line())}**"]
    if report.entries:
        out += ["", "| Expires | Who | Group | When | Declared at |", "|---|---|---|---|---|"]
        for entry in report.entries:
            where = code(str(entry.expiry.location)) if entry.expiry.location else ""
            out.append(
                f"| {code(entry.expiry.text)} | {code(entry.email)} | "
                f"{escape(report.group_of(entry))} | "
                f"{describe_delay(entry.expiry.at - report.now)} | {where} |"
            )
    return "\n".join(out) + "\n"


def expiring_to_dict(report: ExpiringReport) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "now": report.now.isoformat(),
        "until": report.until.isoformat(),
        "expiring": [
            {
                "email": entry.email,
                "group": entry.group,
                "group_name": report.group_names.get(entry.group) if entry.group else None,
                "expires": entry.expiry.text,
                "at": entry.expiry.at.isoformat(),
                "declared_at": str(entry.expiry.location) if entry.expiry.location else None,
            }
            for entry in report.entries
        ],
    }


def render_expiring_json(report: ExpiringReport) -> str:
    return json.dumps(expiring_to_dict(report), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
