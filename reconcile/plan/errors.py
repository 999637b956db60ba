"""Errors raised by the planner and by the saved-plan reader.

    PlanError                 base: anything in `reconcile.plan` that refuses to go on
     ├── PlanningError        the inputs cannot be planned (R7 ambiguity, name conflicts,
     │                        undeclared members); carries one Diagnostic per problem
     └── PlanFileError        a saved plan file is not a valid plan of this format version

Messages say where the problem is and what to do; they never contain secrets.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconcile.desired.model import Location


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """One problem that blocks planning, printed like a validation error."""

    kind: str  # e.g. "ambiguous_group"
    subject: str  # the declared group key or e-mail the problem is about
    message: str  # what is wrong and what to do
    location: Location | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.kind}: {self.message}"


class PlanError(Exception):
    """Base class of the planner's errors."""


class PlanningError(PlanError):
    """The desired and live states cannot be planned; nothing was planned."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(diagnostics))
        count = len(self.diagnostics)
        head = f"planning blocked by {count} problem{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  {d}" for d in self.diagnostics))


class PlanFileError(PlanError):
    """A saved plan file cannot be read back; re-create it with `reconcile plan --out`."""
