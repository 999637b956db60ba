"""`reconcile validate`, `reconcile schema` and `reconcile version`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from reconcile.cli.app import app
from reconcile.cli.common import stderr
from reconcile.cli.desired_input import load_result_or_exit
from reconcile.cli.now import NOW, resolve_now
from reconcile.desired import Desired, Diagnostic, json_schema
from reconcile.desired.expiry import past_expiries


def schema_text() -> str:
    """The exact text `reconcile schema` prints (and desired_state/.schema.json holds)."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def summary(desired: Desired) -> str:
    groups = desired.groups.values()
    present = [g for g in groups if g.present]
    bound = {member for g in present for member in g.members if member in desired.users}
    empty = sum(1 for g in present if not g.members)
    deleted = len(desired.groups) - len(present)
    return (
        f"{len(desired.users)} users ({len(bound)} bound to a group), "
        f"{len(desired.groups)} groups ({empty} empty, {deleted} marked deleted)"
    )


@app.command()
def validate(
    path: Path = typer.Argument(
        Path("desired_state"), help="The desired-state folder (or one YAML file)."
    ),
    now: str | None = NOW,
) -> None:
    """Check the desired state: every error with FILE:LINE:COLUMN, exit 1 if any.
    Entries already past their expiry (R24) are warned about, without failing."""
    at = resolve_now(now)
    result = load_result_or_exit(path)
    for expired in past_expiries(result.desired, now=at):
        warning = Diagnostic(
            expired.expiry.location,
            f"{expired.what} expired {expired.expiry.text} (R24): it no longer grants "
            "access; remove the entry to tidy up",
            "warning",
        )
        stderr.print(f"{warning}", markup=False, highlight=False)
    print(f"{path}: valid: {summary(result.desired)}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the desired-state YAML (for editors)."""
    typer.echo(schema_text(), nl=False)


@app.command()
def version() -> None:
    """Print the version."""
    from reconcile import __version__

    print(__version__)
