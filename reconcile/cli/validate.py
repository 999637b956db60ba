"""`reconcile validate`, `reconcile schema` and `reconcile version`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from reconcile.cli.app import app
from reconcile.cli.desired_input import load_result_or_exit
from reconcile.desired import Desired, json_schema


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
) -> None:
    """Check the desired state: every error with FILE:LINE:COLUMN, exit 1 if any."""
    result = load_result_or_exit(path)
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
