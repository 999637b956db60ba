"""CSV for auditors' spreadsheets: one row per user and group.

Cells a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return; a display name can be anything) get a leading apostrophe, OWASP's advice against
CSV injection: the text shows as written and nothing is evaluated.
"""

from __future__ import annotations

import csv
import io

from reconcile.report.model import Report, Row

COLUMNS = (
    "email",
    "name",
    "group",
    "state",
    "since",
    "commit",
    "author",
    "pr",
    "group_name",
    "declared",
    "live",
    "subject",
    "expires",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _values(row: Row) -> list[str]:
    commit = row.since
    return [
        row.email,
        row.name,
        row.group,
        row.state.value,
        commit.date.isoformat() if commit else "",
        commit.sha if commit else "",
        commit.author if commit else "",
        str(commit.pr) if commit and commit.pr is not None else "",
        row.group_name,
        "yes" if row.declared else "no",
        row.live.value if row.live else "",
        commit.subject if commit else "",
        row.expires.isoformat() if row.expires else "",
    ]


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, what spreadsheets expect
    writer.writerow(COLUMNS)
    for row in report.rows:
        writer.writerow([_cell(value) for value in _values(row)])
    return out.getvalue()
