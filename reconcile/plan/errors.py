"""Errors raised by the planner and by the saved-plan reader.

    ReconcileError            reconcile.errors (project-wide base)
    └── PlanError             base: anything in `reconcile.plan` that refuses to go on
         ├── PlanningError    the inputs cannot be planned (R7 ambiguity, name conflicts,
         │                    undeclared members); carries one Diagnostic per problem
         ├── PlanFileError    a saved plan file is not a valid plan of this format version
         └── NotApplicable    `check_applicable` refused the plan; nothing was changed
              ├── StalePlan   R21: a saved plan no longer equals the fresh plan
              └── UnsafePlan  R20: the plan is over a safety gate and not overridden

Messages say where the problem is and what to do; they never contain secrets.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconcile.desired.model import Location
from reconcile.errors import ReconcileError
from reconcile.plan.model import DEACTIVATION_GATES, Gate, GateResult, Plan
from reconcile.text import plural


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


class NotApplicable(PlanError):
    """`check_applicable` refused the plan (exit 3 on the command line); nothing ran."""


class StalePlan(NotApplicable):
    """R21: the saved plan is not the plan that planning now gives; `fresh` is that plan."""

    def __init__(self, *, problems: tuple[str, ...], fresh: Plan) -> None:
        self.problems = problems
        self.fresh = fresh
        super().__init__(
            f"refusing the saved plan: {'; '.join(problems)}; review the fresh plan, then "
            "apply it or save it again with `reconcile plan --out` (R21)"
        )


class UnsafePlan(NotApplicable):
    """R20: the plan is over one or more safety gates that the override does not cover."""

    def __init__(
        self,
        *,
        plan: Plan,
        failed: tuple[GateResult, ...],
        allowed_deactivations: int | None = None,
        deactivations: int = 0,
    ) -> None:
        self.plan = plan
        self.failed = failed
        self.allowed_deactivations = allowed_deactivations  # --allow-deactivations N
        self.deactivations = deactivations  # in the fresh plan
        super().__init__("\n".join((*self.refusals, self.advice)))

    @property
    def refusals(self) -> tuple[str, ...]:
        """One sentence per gate: which gate, what was counted, against what limit."""
        return (
            tuple(
                f"safety gate {gate.gate} refused the plan: {gate.detail} "
                f"(value {gate.value}, limit {gate.limit})"
                for gate in self.failed
            )
            + self._bound_override()
        )

    def _bound_override(self) -> tuple[str, ...]:
        """Why `--allow-deactivations N` did not cover the deactivation gates."""
        allowed = self.allowed_deactivations
        if allowed is None or not any(gate.gate in DEACTIVATION_GATES for gate in self.failed):
            return ()
        return (
            f"--allow-deactivations {allowed} allows at most "
            f"{plural(allowed, 'deactivation')}, but the fresh plan deactivates "
            f"{self.deactivations}: review the fresh plan above; if "
            f"it is intended, approve it with --allow-deactivations {self.deactivations}",
        )

    @property
    def advice(self) -> str:
        if any(gate.gate is Gate.EMPTY_DESIRED for gate in self.failed):
            what = (
                "check that PATH is the right folder; if emptying it is intended, pass "
                "--allow-mass-change"
            )
        elif all(gate.gate in DEACTIVATION_GATES for gate in self.failed):
            what = (
                "if this is intended, raise the limit under tenant.safety in the desired "
                "state, or override the gates for this run: --allow-deactivations "
                f"{self.deactivations} for the deactivation gates only (up to that many), "
                "--allow-mass-change for every gate"
            )
        else:
            # --allow-deactivations cannot lift these gates: suggesting it would send the
            # user into a second refusal.
            what = (
                "if this is intended, raise the limit under tenant.safety in the desired "
                "state, or override the gates for this run with --allow-mass-change "
                "(--allow-deactivations covers only the deactivation gates)"
            )
        return f"nothing was changed; {what}."
