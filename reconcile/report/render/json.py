"""JSON: the versioned report contract (docs/report-format.md)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from reconcile.report.model import REPORT_FORMAT_VERSION, Report
from reconcile.report.render.wire import (
    event_to_dict,
    point_to_dict,
    row_to_dict,
    user_to_dict,
    when,
)


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "kind": "access_report",
        "generated_at": when(report.generated_at),
        "source": report.source,
        "period_start": when(report.period_start),
        "history": {
            "available": report.history_note is None,
            "note": report.history_note,
            "commits": report.commits,
        },
        "summary": asdict(report.summary),
        "users": [user_to_dict(u) for u in report.users],
        "memberships": [row_to_dict(r) for r in report.rows],
        "groups": [
            {
                "key": card.key,
                "name": card.name,
                "members": [r.email for r in card.members],
                "mismatches": list(card.mismatches),
            }
            for card in report.groups
        ],
        "events": [event_to_dict(e) for e in report.events],
        "series": [point_to_dict(p) for p in report.series],
        "notes": list(report.notes),
    }


def render_json(report: Report) -> str:
    """Sorted keys, two-space indent, UTF-8 as is: stable bytes for diffs and archives."""
    return json.dumps(report_to_dict(report), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
