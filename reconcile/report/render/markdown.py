"""Markdown: the report for a pull request, an issue or a wiki page."""

from __future__ import annotations

from reconcile.plan.render.markdown import code, escape
from reconcile.report.git import Commit
from reconcile.report.model import Report, Row


def commit_label(commit: Commit | None) -> str:
    """`abc1234567 (2026-01-02, Jane Doe, PR #12)`, or a dash without history."""
    if commit is None:
        return "-"
    pr = f", PR #{commit.pr}" if commit.pr is not None else ""
    return f"{commit.short} ({commit.date:%Y-%m-%d}, {commit.author}{pr})"


def _row(row: Row) -> str:
    flags = "" if row.live in (None, "yes", "not compared") else f" ⚠ {row.live}"
    if row.expires is not None:
        flags += f", ends {row.expires:%Y-%m-%d %H:%M} UTC"
    cells = (
        code(row.email),
        escape(row.name),
        escape(row.group_name) or "-",
        f"{row.state.value}{flags}",
        escape(commit_label(row.since)),
    )
    return "| " + " | ".join(cells) + " |"


def render_markdown(report: Report) -> str:
    s = report.summary
    out = [
        "### reconcile access report",
        f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC from {code(report.source)}",
        "",
        "| Active users | Users | Groups | Memberships | Grants | Removals | Mismatches |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s.active_users} | {s.users} | {s.groups} | {s.memberships} | {s.grants} "
        f"| {s.removals} | {s.mismatches} |",
        "",
    ]
    if report.history_note:
        out += [f"> {escape(report.history_note)}", ""]
    out += ["#### Access", "", "| E-mail | Name | Group | State | Since |", "|---|---|---|---|---|"]
    out += [_row(row) for row in report.rows]
    mismatches = [
        f"- {code(u.email)}: {escape('; '.join(u.mismatches))}"
        for u in report.users
        if u.mismatches
    ] + [
        f"- group {code(c.key)}: {escape('; '.join(c.mismatches))}"
        for c in report.groups
        if c.mismatches
    ]
    if mismatches:
        out += ["", "#### Mismatches", "", *mismatches]
    if report.events:
        start = f" since {report.period_start:%Y-%m-%d}" if report.period_start else ""
        out += ["", f"#### Changes{start}", ""]
        out += [
            f"- {e.commit.date:%Y-%m-%d} {e.kind.value} {code(e.email)} "
            f"{'to' if e.kind == 'grant' else 'from'} {escape(e.group_name)}: "
            f"{escape(commit_label(e.commit))} {escape(e.commit.subject)}"
            for e in report.events
        ]
    if report.notes:
        out += ["", "#### Notes", ""] + [f"- {escape(n)}" for n in report.notes]
    return "\n".join(out) + "\n"
