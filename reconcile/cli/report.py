"""`reconcile report`: who has access now, since which commit, approved in which change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from reconcile.cli.app import app
from reconcile.cli.common import emit, fail, stderr
from reconcile.cli.live_options import (
    CA_BUNDLE,
    LIVE_FILE,
    PROFILE,
    TARGET,
    TOKEN_FILE,
    cli_errors,
)
from reconcile.cli.now import NOW, resolve_now
from reconcile.cli.plan import PATH, load_and_plan
from reconcile.files import write_atomically
from reconcile.live.profiles import Profile
from reconcile.report import History, build_report, find_repository, walk
from reconcile.report.render import ReportFormat, render_report

DEFAULT_PERIOD = timedelta(days=90)  # a quarter: the usual access-review cycle


def parse_since(value: str | None, *, now: datetime) -> datetime:
    """`--since` as a UTC time: a date (its midnight, UTC) or an ISO 8601 time."""
    if value is None:
        return now - DEFAULT_PERIOD
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        fail(f"--since '{value}' is not a date: write it as YYYY-MM-DD (e.g. 2026-01-01)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_history(path: Path, *, since: datetime) -> tuple[History | None, str | None]:
    """The folder's history, or None and why there is none."""
    repo = find_repository(path)
    if repo is None:
        return None, (
            f"{path} is not inside a git repository (or git is not installed): the report "
            "shows the current state only, without since when or who approved"
        )
    with cli_errors():
        return walk(repo, period_start=since), None


@app.command()
def report(
    path: Path = PATH,
    target: str | None = TARGET,
    live_file: Path | None = LIVE_FILE,
    profile: Profile = PROFILE,
    token_file: Path | None = TOKEN_FILE,
    ca_bundle: Path | None = CA_BUNDLE,  # read by open_client (see live_options)
    since: str | None = typer.Option(
        None,
        "--since",
        metavar="DATE",
        help="Start of the period whose grants and removals are listed (YYYY-MM-DD; "
        "default: 90 days ago).",
    ),
    fmt: ReportFormat | None = typer.Option(
        None,
        "--format",
        case_sensitive=False,
        help="html (one self-contained page), csv (one row per user and group), json "
        "(the versioned contract) or markdown; default: from --out's suffix, else html.",
    ),
    out: Path | None = typer.Option(
        None, "--out", dir_okay=False, metavar="FILE", help="Write the report to FILE."
    ),
    now_text: str | None = NOW,
) -> None:
    """Access review: every user and group, declared vs live, and from git since when and
    approved in which commit (and pull request)."""
    now = resolve_now(now_text)
    start = parse_since(since, now=now)
    desired, live, plan = load_and_plan(
        path,
        target=target,
        live_file=live_file,
        profile=Profile(profile),
        token_file=token_file,
        now=now,
    )
    history, note = read_history(path, since=start)
    result = build_report(
        desired=desired,
        live=live,
        plan=plan,
        history=history,
        history_note=note,
        period_start=start,
        now=now,
    )
    text = render_report(result, ReportFormat(fmt) if fmt else ReportFormat.for_file(out))
    if out is None:
        emit(text)
        return
    try:
        write_atomically(out, text)
    except OSError as exc:
        fail(f"cannot write the report to {out} ({exc.strerror or exc}); check --out")
    stderr.print(
        f"wrote the report to {out}: {result.summary.users} users, "
        f"{result.summary.memberships} memberships, {result.summary.mismatches} mismatches",
        markup=False,
        highlight=False,
    )
