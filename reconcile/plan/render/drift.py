"""The drift report: pending operations grouped by kind, plus unmanaged users and groups.

Drift exists when the plan has operations or when TeamViewer holds users or groups the
desired state does not declare (R10, R13): both mean git no longer describes TeamViewer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reconcile.plan.model import (
    FORMAT_VERSION,
    Kind,
    Notice,
    NoticeKind,
    Operation,
    Plan,
)
from reconcile.plan.render.markdown import MAX_COMMENT_CHARS, add_sections, code, escape
from reconcile.plan.render.text import build_text
from reconcile.plan.wire import operation_to_dict, summary_to_dict


@dataclass(frozen=True, slots=True)
class Drift:
    plan: Plan
    pending: dict[Kind, tuple[Operation, ...]]  # only non-empty kinds, in report order
    unmanaged_users: tuple[Notice, ...]
    unmanaged_groups: tuple[Notice, ...]
    # R24: expiries within tenant.expiry_warning_days (7 days unless set); not drift
    expiring: tuple[Notice, ...] = ()

    @classmethod
    def of(cls, plan: Plan) -> Drift:
        pending = {
            kind: ops
            for kind in Kind
            if (ops := tuple(op for op in plan.operations if op.kind is kind))
        }
        return cls(
            plan=plan,
            pending=pending,
            unmanaged_users=plan.notices_of(NoticeKind.UNMANAGED_USER),
            unmanaged_groups=plan.notices_of(NoticeKind.UNMANAGED_GROUP),
            expiring=plan.notices_of(NoticeKind.EXPIRING),
        )

    @property
    def exists(self) -> bool:
        return bool(self.plan.operations or self.unmanaged_users or self.unmanaged_groups)

    def line(self) -> str:
        if not self.exists:
            return "No drift: TeamViewer matches the desired state."
        return (
            f"Drift: {len(self.plan.operations)} pending changes, "
            f"{len(self.unmanaged_users)} unmanaged users, "
            f"{len(self.unmanaged_groups)} unmanaged groups."
        )


def render_drift_json(drift: Drift) -> str:
    doc: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "target": drift.plan.target,
        "drift": drift.exists,
        "live_fingerprint": drift.plan.live_fingerprint,
        "desired_fingerprint": drift.plan.desired_fingerprint,
        "pending": {
            kind.value: [operation_to_dict(op) for op in ops] for kind, ops in drift.pending.items()
        },
        "summary": summary_to_dict(drift.plan.summary),
        "unmanaged_users": [
            {"email": n.subject, "message": n.message} for n in drift.unmanaged_users
        ],
        "unmanaged_groups": [
            {"name": n.subject, "message": n.message} for n in drift.unmanaged_groups
        ],
        "notices": [
            {"kind": n.kind.value, "subject": n.subject, "message": n.message}
            for n in drift.plan.notices
        ],
    }
    if drift.plan.now is not None:  # R24
        doc["now"] = drift.plan.now.isoformat()
        doc["expiring"] = [{"email": n.subject, "message": n.message} for n in drift.expiring]
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def render_drift_text(drift: Drift) -> str:
    plan = drift.plan
    lines: list[str] = []
    if plan.target:
        lines.append(f"Target: {plan.target}")
    details = build_text(plan).plain.splitlines()
    for kind, ops in drift.pending.items():
        lines.append(f"\nPending {kind} ({len(ops)}):")
        for op in ops:
            lines.append(f"  {op.subject_label}: {'; '.join(op.reasons)}")
    if drift.unmanaged_users:
        lines.append(f"\nUnmanaged users ({len(drift.unmanaged_users)}):")
        lines += [f"  {n.message}" for n in drift.unmanaged_users]
    if drift.unmanaged_groups:
        lines.append(f"\nUnmanaged groups ({len(drift.unmanaged_groups)}):")
        lines += [f"  {n.message}" for n in drift.unmanaged_groups]
    if drift.expiring:
        lines.append(f"\nExpiring soon ({len(drift.expiring)}):")
        lines += [f"  {n.message}" for n in drift.expiring]
    paused = plan.notices_of(NoticeKind.PAUSED)
    if paused:
        lines.append(f"\n{paused[0].message}")
    if plan.operations:
        lines.append("\nThe pending changes in plan form:")
        lines += [line for line in details if not line.startswith("Target: ")]
    lines.append("")
    lines.append(drift.line())
    return "\n".join(lines) + "\n"


def render_drift_markdown(drift: Drift, *, max_chars: int = MAX_COMMENT_CHARS) -> str:
    plan = drift.plan
    out = ["### reconcile drift report"]
    if plan.target:
        out.append(f"Target: {code(plan.target)}")
    out += ["", f"**{drift.line()}**", ""]
    out += ["| Kind | Count |", "|---|---:|"]
    out += [f"| `{kind}` | {len(ops)} |" for kind, ops in drift.pending.items()]
    out.append(f"| unmanaged users | {len(drift.unmanaged_users)} |")
    out.append(f"| unmanaged groups | {len(drift.unmanaged_groups)} |")
    if drift.expiring:
        out.append(f"| expiring soon (R24) | {len(drift.expiring)} |")
    sections: list[tuple[str, list[str]]] = [
        (
            f"Pending {kind} ({len(ops)})",
            [f"- {code(op.subject_label)}: {escape('; '.join(op.reasons))}" for op in ops],
        )
        for kind, ops in drift.pending.items()
    ]
    if drift.unmanaged_users:
        sections.append(
            (
                f"Unmanaged users ({len(drift.unmanaged_users)})",
                [f"- {escape(n.message)}" for n in drift.unmanaged_users],
            )
        )
    if drift.unmanaged_groups:
        sections.append(
            (
                f"Unmanaged groups ({len(drift.unmanaged_groups)})",
                [f"- {escape(n.message)}" for n in drift.unmanaged_groups],
            )
        )
    if drift.expiring:
        sections.append(
            (
                f"Expiring soon ({len(drift.expiring)})",
                [f"- {escape(n.message)}" for n in drift.expiring],
            )
        )
    text = "\n".join(out) + "\n"
    text, left_out = add_sections(text, sections, max_chars=max_chars)
    if left_out:
        text += (
            f"\n> **Truncated:** {left_out} more entries are not shown, to fit a GitHub "
            f"comment ({max_chars:,} characters). Run `reconcile drift --format json` for "
            "the full report.\n"
        )
    return text
