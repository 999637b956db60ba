"""Exit codes and output helpers shared by the commands."""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape


class ExitCode(IntEnum):
    OK = 0  # success, no changes
    ERROR = 1  # invalid input, failed operations
    CHANGES = 2  # changes or drift pending (plan --detailed-exitcode, drift)
    REFUSED = 3  # refused by a safety gate or a stale plan


# Results go to stdout, everything else (progress, notes, errors) to stderr so that
# `reconcile plan --format json > plan.json` stays machine-readable.
stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


def fail(message: str, *, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    """Print a one-line error to stderr and exit; never a traceback for user errors."""
    # The message may quote a service's answer or a file's content: escape it, or a `[/]`
    # in it would be read as markup and crash with a traceback instead of the error.
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
    raise typer.Exit(int(code))


def is_terminal() -> bool:
    return sys.stdout.isatty()


def emit(text: str) -> None:
    """Write already-rendered text to stdout as it is (no rich markup or highlighting:
    colour codes from a renderer pass through, and JSON stays byte-exact)."""
    stdout.file.write(text)
    stdout.file.flush()
