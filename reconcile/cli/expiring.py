"""`reconcile expiring`: the expiries (R24) ahead, from the desired state alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer

from reconcile.cli.app import app
from reconcile.cli.common import emit, fail
from reconcile.cli.desired_input import load_or_exit
from reconcile.cli.now import NOW, resolve_now
from reconcile.desired.expiry import ExpiresError, parse_duration
from reconcile.plan.render import OutputFormat
from reconcile.plan.render.expiring import (
    ExpiringReport,
    render_expiring_json,
    render_expiring_markdown,
    render_expiring_text,
)


@app.command()
def expiring(
    path: Path = typer.Argument(
        Path("desired_state"), help="The desired-state folder (or one YAML file)."
    ),
    within: str | None = typer.Option(
        None,
        "--within",
        metavar="DURATION",
        help="How far ahead to look: 14d, 2w, 12h, 30m "
        "(default: tenant.expiry_warning_days, 7 days unless set).",
    ),
    now: str | None = NOW,
    fmt: OutputFormat = typer.Option(
        OutputFormat.TEXT.value,
        "--format",
        case_sensitive=False,
        help="text, markdown (an issue or comment) or json.",
    ),
) -> None:
    """List the memberships and users whose access expires soon: who, which group, when,
    and where it is declared. No service is contacted."""
    at = resolve_now(now)
    desired = load_or_exit(path)
    if within is None:
        span = timedelta(days=desired.tenant.expiry_warning_days)
    else:
        try:
            span = parse_duration(within)
        except ExpiresError as exc:
            fail(f"--within {exc}")
    report = ExpiringReport.of(desired, now=at, within=span)
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.JSON:
        emit(render_expiring_json(report))
    elif fmt is OutputFormat.MARKDOWN:
        emit(render_expiring_markdown(report))
    else:
        emit(render_expiring_text(report))
