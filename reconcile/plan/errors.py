"""Errors raised by the planner and by the saved-plan reader.

    ReconcileError            reconcile.errors (project-wide base)
    └── PlanError             base: anything in `reconcile.plan` that refuses to go on
         ├── PlanningError    the inputs cannot be planned (R7 ambiguity, name conflicts,
         │                    undeclared members); carries one Diagnostic per problem
         └── PlanFileError    a saved plan file is not a valid plan of this format version

Messages say where the problem is and what to do; they never contain secrets.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconcile.desired.model import Location
from reconcile.errors import ReconcileError


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem that blocks planning, printed like a validation error."""

    kind: str  # e.g. "ambiguous_group"
    subject: str  # the declared group key or e-mail the problem is about
    message: str  # what is wrong and what to do
    location: Location | None = None

    def __str__(self) -> str:
        """`FILE:LINE:COLUMN: message`, like the loader's diagnostics."""
        return f"{self.location}: {self.message}" if self.location else self.message


class PlanError(ReconcileError):
    """Base class of the planner's errors."""


class PlanningError(PlanError):
    """The desired and live states cannot be planned; nothing was planned."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(diagnostics, key=_sort_key))
        # One per line, ready to print, like DesiredStateError.
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(d.kind for d in self.diagnostics)


def _sort_key(d: Diagnostic) -> tuple[str, int, int, str, str, str]:
    loc = d.location
    if loc is None:
        return ("", 0, 0, d.kind, d.subject, d.message)
    return (loc.file, loc.line, loc.column, d.kind, d.subject, d.message)


class PlanFileError(PlanError):
    """A saved plan file cannot be read back; re-create it with `reconcile plan --out`."""
