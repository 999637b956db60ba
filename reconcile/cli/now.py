"""`--now TIMESTAMP`: the time a command judges expiries at (R24).

The one place the command line reads the clock; the planner and the reports get the
time as an argument, so that a run is reproducible with `--now`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from reconcile.cli.common import fail
from reconcile.desired.expiry import ExpiresError, parse_now

NOW = typer.Option(
    None,
    "--now",
    metavar="TIMESTAMP",
    help="Judge expiries (R24) at this time instead of the current UTC time: an ISO 8601 "
    "timestamp with an offset (2027-04-01T09:00:00Z), or a date (its start, UTC).",
)


def resolve_now(text: str | None) -> datetime:
    """The --now value, else the current UTC time; a bad value exits 1 saying why."""
    if text is None:
        return datetime.now(UTC)
    try:
        return parse_now(text)
    except ExpiresError as exc:
        fail(f"--now {exc}")
