"""HTML: one self-contained page (no network, no external file) that people want to read.

Everything from the YAML, git or the service goes through `esc` (text and attribute values
alike), and the page's script only ever reads text and sets `hidden`: it never builds
markup, so a name like `<script>` stays text. Styles and script are inline; the chart is
inline SVG drawn here from the history. Printing hides the controls and keeps each group
card and table row whole (auditors file the page as PDF).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from reconcile.identity import email_key
from reconcile.report.git import Commit
from reconcile.report.model import LiveMembership, Report, Row, State
from reconcile.report.render.chart import render_chart
from reconcile.report.render.html_assets import SCRIPT, STYLE
from reconcile.report.render.markdown import commit_label
from reconcile.text import plural

_STATE_CLASS = {
    State.ACTIVE: "ok",
    State.EXPIRING_SOON: "warn",
    State.INACTIVE: "off",
    State.SUSPENDED: "off",
}
_LIVE_MISMATCH = (LiveMembership.MISSING, LiveMembership.LIVE_ONLY)
_COLUMNS = ("E-mail", "Name", "Group", "State", "Live", "Since", "Approved in")


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(report: Report) -> str:
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Access report {report.generated_at:%Y-%m-%d}</title>",
        f"<style>{STYLE}</style></head>",
        '<body data-ready="0">',
        *_header(report),
        *_summary(report),
        *_chart_section(report),
        *_table(report),
        *_cards(report),
        *_events(report),
        *_notes(report),
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _header(report: Report) -> list[str]:
    period = (
        f"changes since {report.period_start:%Y-%m-%d}"
        if report.period_start
        else "changes over the whole history"
    )
    out = [
        "<header><h1>TeamViewer access report</h1>",
        f'<p class="meta">Generated {esc(f"{report.generated_at:%Y-%m-%d %H:%M}")} UTC '
        f"from <code>{esc(report.source)}</code>; {esc(period)}; "
        f"{esc(plural(report.commits, 'commit'))} read.</p>",
    ]
    if report.history_note:
        out.append(f'<p class="note">{esc(report.history_note)}</p>')
    out.append("</header>")
    return out


def _summary(report: Report) -> list[str]:
    s = report.summary
    tiles = (
        ("Active users", s.active_users, ""),
        ("Groups", s.groups, ""),
        ("Memberships", s.memberships, ""),
        (
            "Changes in the period",
            s.grants + s.removals,
            f"{s.grants} grants, {s.removals} removals",
        ),
        ("Mismatches", s.mismatches, "declared vs TeamViewer"),
    )
    out = ['<section id="summary" class="tiles">']
    for label, value, detail in tiles:
        warn = " warn" if label == "Mismatches" and value else ""
        out.append(
            f'<div class="tile{warn}"><div class="value">{value}</div>'
            f'<div class="label">{esc(label)}</div><div class="detail">{esc(detail)}</div></div>'
        )
    out.append("</section>")
    return out


def _chart_section(report: Report) -> list[str]:
    return [
        '<section id="chart"><h2>Active users and memberships over the period</h2>',
        render_chart(report.series, end=report.generated_at),
        "</section>",
    ]


def _table(report: Report) -> list[str]:
    heads = "".join(
        f'<th scope="col"><button type="button" data-col="{i}">{esc(name)}</button></th>'
        for i, name in enumerate(_COLUMNS)
    )
    flagged = {email_key(u.email) for u in report.users if u.mismatches}
    options = "".join(f'<option value="{esc(s.value)}">{esc(s.value)}</option>' for s in State)
    return [
        '<section id="access"><h2>Who has access</h2>',
        '<div class="controls"><label>Filter <input id="filter" type="search" '
        'placeholder="name, e-mail, group" autocomplete="off"></label>',
        f'<label>State <select id="state-filter"><option value="">all</option>{options}'
        "</select></label>",
        '<label><input id="mismatch-filter" type="checkbox"> mismatches only</label>',
        f'<span id="shown">{len(report.rows)} of {len(report.rows)} rows</span></div>',
        '<p class="print-only" id="print-filter"></p>',
        f'<table id="access-table"><thead><tr>{heads}</tr></thead><tbody>',
        *(_table_row(row, flagged) for row in report.rows),
        "</tbody></table></section>",
    ]


def _table_row(row: Row, flagged_users: set[str]) -> str:
    live = row.live.value if row.live else "-"
    flagged = row.live in _LIVE_MISMATCH or email_key(row.email) in flagged_users
    since_sort = row.since.date.isoformat() if row.since else ""
    cells = (
        f"<td>{esc(row.email)}</td>",
        f"<td>{esc(row.name)}</td>",
        f"<td>{esc(row.group_name or '-')}</td>",
        f'<td><span class="state {_STATE_CLASS[row.state]}">{esc(row.state.value)}</span>'
        f"{_ends(row)}</td>",
        f'<td class="{"flag" if row.live in _LIVE_MISMATCH else ""}">{esc(live)}</td>',
        f'<td data-sort="{esc(since_sort)}">{esc(_date(row.since))}</td>',
        f"<td>{_approved(row.since)}</td>",
    )
    return (
        f'<tr data-state="{esc(row.state.value)}" data-mismatch="{int(flagged)}">'
        + "".join(cells)
        + "</tr>"
    )


def _ends(row: Row) -> str:
    """When the access ends (an expiry's first instant without access), if declared."""
    if row.expires is None:
        return ""
    return f'<div class="subject">ends {esc(f"{row.expires:%Y-%m-%d %H:%M}")} UTC</div>'


def _date(commit: Commit | None) -> str:
    return f"{commit.date:%Y-%m-%d}" if commit else "-"


def _approved(commit: Commit | None) -> str:
    if commit is None:
        return "-"
    pr = f" · PR #{commit.pr}" if commit.pr is not None else ""
    return (
        f'<code title="{esc(commit.sha)}">{esc(commit.short)}</code>{esc(pr)} '
        f'<span class="who">{esc(commit.author)}</span>'
        f'<div class="subject">{esc(commit.subject)}</div>'
    )


def _cards(report: Report) -> list[str]:
    out = ['<section id="groups"><h2>Groups</h2><div class="cards">']
    for card in report.groups:
        mismatches = "".join(f'<p class="flag">{esc(m)}</p>' for m in card.mismatches)
        members = "".join(
            f"<li><span>{esc(row.name or row.email)}</span> "
            f'<span class="email">{esc(row.email)}</span>'
            f'<span class="since">{esc(_member_since(row))}</span></li>'
            for row in card.members
        )
        out.append(
            f'<article class="card"><h3>{esc(card.name)} <span class="key">{esc(card.key)}</span>'
            f'</h3><p class="count">{plural(len(card.members), "member")}</p>{mismatches}'
            f"<ul>{members}</ul></article>"
        )
    out.append("</div></section>")
    return out


def _member_since(row: Row) -> str:
    if row.live is LiveMembership.LIVE_ONLY:
        return "live only: not declared"
    if row.since is None:
        return "since: -"
    return f"since {commit_label(row.since)}"


def _events(report: Report) -> list[str]:
    if not report.events:
        return []
    rows: Iterable[str] = (
        f'<tr class="{esc(e.kind.value)}"><td>{esc(f"{e.commit.date:%Y-%m-%d}")}</td>'
        f"<td>{esc(e.kind.value)}</td><td>{esc(e.email)}</td><td>{esc(e.group_name)}</td>"
        f"<td>{_approved(e.commit)}</td></tr>"
        for e in report.events
    )
    return [
        '<section id="changes"><h2>Grants and removals in the period</h2>',
        "<table><thead><tr><th>Date</th><th>Change</th><th>E-mail</th><th>Group</th>"
        "<th>Commit</th></tr></thead><tbody>",
        *rows,
        "</tbody></table></section>",
    ]


def _notes(report: Report) -> list[str]:
    if not report.notes:
        return []
    items = "".join(f"<li>{esc(note)}</li>" for note in report.notes)
    return [f'<section id="notes"><h2>Notes</h2><ul>{items}</ul></section>']
