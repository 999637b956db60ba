"""`reconcile tenants`: the tenants of a repository, or those a change touches, as JSON.

CI turns the JSON into one job per tenant (a GitHub Actions matrix, a GitLab parallel
matrix); see the README's "Many tenants" section.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from reconcile.cli.app import app
from reconcile.cli.common import emit, fail, stderr
from reconcile.tenants import Selection, TenantLayoutError, discover, select
from reconcile.text import plural


@app.command()
def tenants(
    root: Path = typer.Argument(Path("."), help="The repository's root folder."),
    changed: Path | None = typer.Option(
        None,
        "--changed",
        dir_okay=False,
        metavar="FILE",
        help="Only the tenants these changed files touch: one repository-relative path a "
        "line (`git diff --name-only`), '-' for stdin. Without it: every tenant.",
    ),
    always: list[str] = typer.Option(
        [],
        "--always",
        metavar="PATH",
        help="A changed file under PATH selects every tenant (e.g. the workflow, the lock "
        "file). Repeatable.",
    ),
) -> None:
    """Print the tenants (desired_state/ and tenants/NAME/) as a JSON list for a CI matrix."""
    try:
        every = discover(root)
    except TenantLayoutError as exc:
        fail(str(exc))
    if changed is None:
        chosen = Selection(tenants=tuple(every), removed=())
    else:
        chosen = select(every, _read_lines(changed), always=always)
    for name in chosen.removed:
        stderr.print(
            f"note: tenants/{name} was removed: nothing runs for it, and its TeamViewer "
            "company is left as it is",
            markup=False,
            highlight=False,
        )
    names = ", ".join(t.name or t.path for t in chosen.tenants) or "none"
    stderr.print(
        f"{len(chosen.tenants)} of {plural(len(every), 'tenant')} selected: {names}",
        markup=False,
        highlight=False,
    )
    emit(json.dumps([t.matrix_entry() for t in chosen.tenants], separators=(",", ":")) + "\n")


def _read_lines(source: Path) -> list[str]:
    if str(source) == "-":
        return sys.stdin.read().splitlines()
    try:
        return source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read the changed-file list {source} ({exc}); check --changed")
