"""Loading the desired state for a command: diagnostics printed, exit 1 on errors."""

from __future__ import annotations

from pathlib import Path

import typer

from reconcile.cli.common import ExitCode, stderr
from reconcile.desired import Desired, DesiredStateError, LoadResult, load_desired
from reconcile.text import plural


def load_result_or_exit(path: Path) -> LoadResult:
    """Load and validate `path`; on errors print each as FILE:LINE:COLUMN and exit 1."""
    try:
        result = load_desired(path)
    except DesiredStateError as exc:
        for diagnostic in exc.diagnostics:
            stderr.print(f"{diagnostic}", markup=False, highlight=False)
        stderr.print(
            f"{plural(len(exc.diagnostics), 'error')} in {path}", markup=False, highlight=False
        )
        raise typer.Exit(int(ExitCode.ERROR)) from None
    for warning in result.warnings:
        stderr.print(f"{warning}", markup=False, highlight=False)
    return result


def load_or_exit(path: Path) -> Desired:
    return load_result_or_exit(path).desired
