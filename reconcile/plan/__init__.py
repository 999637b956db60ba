"""The planner (pure), operation types, safety gates and renderers.

plan(desired, live, policy) -> Plan      reconcile.plan.planner
plan_to_json(plan) / plan_from_json(text)  the versioned JSON contract (docs/plan-format.md)
render_text / render_markdown / render_json
check_applicable(fresh=, saved=, override=) -> ApplicablePlan  R20/R21, before apply_plan
"""

from reconcile.fingerprint import desired_fingerprint, live_fingerprint
from reconcile.plan.errors import (
    Diagnostic,
    NotApplicable,
    PlanError,
    PlanFileError,
    PlanningError,
    StalePlan,
    UnsafePlan,
)
from reconcile.plan.model import (
    FORMAT_VERSION,
    PHASES,
    Action,
    CreateGroup,
    CreateUser,
    DeleteGroup,
    Gate,
    GateResult,
    MemberRef,
    Notice,
    NoticeKind,
    Operation,
    Phase,
    Plan,
    Summary,
    UpdateGroup,
    UpdateUser,
)
from reconcile.plan.planner import Policy, plan
from reconcile.plan.safety import ApplicablePlan, Override, check_applicable
from reconcile.plan.wire import plan_from_json, plan_to_json

__all__ = [
    "FORMAT_VERSION",
    "PHASES",
    "Action",
    "ApplicablePlan",
    "CreateGroup",
    "CreateUser",
    "DeleteGroup",
    "Diagnostic",
    "Gate",
    "GateResult",
    "MemberRef",
    "NotApplicable",
    "Notice",
    "NoticeKind",
    "Operation",
    "Override",
    "Phase",
    "Plan",
    "PlanError",
    "PlanFileError",
    "PlanningError",
    "Policy",
    "StalePlan",
    "Summary",
    "UnsafePlan",
    "UpdateGroup",
    "UpdateUser",
    "check_applicable",
    "desired_fingerprint",
    "live_fingerprint",
    "plan",
    "plan_from_json",
    "plan_to_json",
]
