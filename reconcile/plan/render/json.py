"""JSON: the versioned plan contract itself (docs/plan-format.md)."""

from __future__ import annotations

from reconcile.plan.model import Plan


def render_json(plan: Plan) -> str:
    return plan.to_json()
