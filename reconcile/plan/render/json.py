"""JSON: the versioned plan contract itself (docs/plan-format.md)."""

from __future__ import annotations

from reconcile.plan.model import Plan
from reconcile.plan.wire import plan_to_json


def render_json(plan: Plan) -> str:
    return plan_to_json(plan)
