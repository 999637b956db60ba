"""JSON: the versioned plan contract itself (docs/plan-format.md)."""

from __future__ import annotations

from reconcile.gcpause import cycle_collection_paused
from reconcile.plan.model import Plan


def render_json(plan: Plan) -> str:
    # Rendered beside both loaded states: a full collection would rescan them for nothing.
    with cycle_collection_paused():
        return plan.to_json()
