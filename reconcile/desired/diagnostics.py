"""Diagnostics: what the loader reports, each pinned to `FILE:LINE:COLUMN`.

Exceptions raised by this package (one hierarchy, all user errors)::

    ReconcileError                     reconcile.errors (project-wide base)
    └── DesiredStateError              every problem of one load, as sorted diagnostics

Nothing else escapes `load_desired`: YAML, pydantic and OS errors are caught at the
boundary and turned into diagnostics, so the command line never shows a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reconcile.desired.model import Location
from reconcile.errors import ReconcileError

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding. `str()` is `FILE:LINE:COLUMN: message` (warnings say so after the place)."""

    location: Location | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        text = f"warning: {self.message}" if self.severity == "warning" else self.message
        return f"{self.location}: {text}" if self.location else text

    @property
    def sort_key(self) -> tuple[int, str, int, int, str]:
        # Diagnostics without a place (a missing folder) come first, then by position.
        if self.location is None:
            return (0, "", 0, 0, self.message)
        loc = self.location
        return (1, loc.file, loc.line, loc.column, self.message)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(sorted(diagnostics, key=lambda d: d.sort_key))


class DesiredStateError(ReconcileError):
    """The desired state cannot be loaded; `.diagnostics` holds every error of the run, sorted.

    `str()` lists them one per line, ready to print.
    """

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = sort_diagnostics(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))
