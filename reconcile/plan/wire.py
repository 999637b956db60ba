"""The plan's JSON contract, format_version 1 (documented in docs/plan-format.md).

Writing builds plain dicts and dumps them with sorted keys (fast and byte-stable).
Reading validates strictly with pydantic (unknown keys, wrong types, a phase that does not
fit its action, or a summary/safety block that does not match the operations are errors),
then converts to the Plan dataclasses.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, assert_never

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from reconcile.plan.consequences import consequences_of, consequences_to_dict
from reconcile.plan.errors import PlanFileError
from reconcile.plan.model import (
    FORMAT_VERSION,
    CreateGroup,
    CreateUser,
    DeleteGroup,
    Expiration,
    Gate,
    GateResult,
    MemberRef,
    Notice,
    NoticeKind,
    Operation,
    Plan,
    Summary,
    UpdateGroup,
    UpdateUser,
)

# -- writing ---------------------------------------------------------------------------------


def _emails(refs: tuple[MemberRef, ...]) -> list[str]:
    return [ref.email for ref in refs]


def _user_ids(*groups: tuple[MemberRef, ...]) -> dict[str, str]:
    return {ref.email: ref.id for refs in groups for ref in refs if ref.id is not None}


def operation_to_dict(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "action": op.action.value,
        "phase": op.phase.value,
        "reasons": list(op.reasons),
    }
    match op:
        case CreateUser():
            doc.update(
                email=op.email,
                display_name=op.display_name,
                first_name=op.first_name,
                last_name=op.last_name,
                language=op.language,
            )
        case UpdateUser():
            changes: dict[str, list[Any]] = {}
            if op.display_name is not None:
                changes["display_name"] = list(op.display_name)
            if op.active is not None:
                changes["active"] = list(op.active)
            doc.update(email=op.email, id=op.id, changes=changes)
        case CreateGroup():
            doc.update(
                key=op.key,
                name=op.name,
                members=_emails(op.members),
                user_ids=_user_ids(op.members),
            )
        case UpdateGroup():
            doc.update(
                key=op.key,
                id=op.id,
                name=op.name,
                add_members=_emails(op.add_members),
                remove_members=_emails(op.remove_members),
                user_ids=_user_ids(op.add_members, op.remove_members),
            )
            if op.rename is not None:
                doc["rename"] = list(op.rename)
        case DeleteGroup():
            doc.update(key=op.key, id=op.id, name=op.name)
        case _:
            assert_never(op)
    return doc


def summary_to_dict(summary: Summary) -> dict[str, int]:
    return {
        "create_user": summary.create_user,
        "update_user": summary.update_user,
        "create_group": summary.create_group,
        "update_group": summary.update_group,
        "delete_group": summary.delete_group,
        "deactivations": summary.deactivations,
        "reactivations": summary.reactivations,
        "total": summary.total,
    }


def gate_to_dict(gate: GateResult) -> dict[str, Any]:
    return {
        "value": gate.value,
        "limit": gate.limit,
        "passes": gate.passes,
        "detail": gate.detail,
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    doc = _plan_core_dict(plan)
    if plan.now is not None:  # R24: written whenever the plan was made for a time
        doc["now"] = plan.now.isoformat()
        doc["expired"] = [
            {"email": e.email, "group": e.group, "expires": e.expires} for e in plan.expired
        ]
    return doc


def _plan_core_dict(plan: Plan) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "target": plan.target,
        "live_fingerprint": plan.live_fingerprint,
        "desired_fingerprint": plan.desired_fingerprint,
        "operations": [operation_to_dict(op) for op in plan.operations],
        "notices": [
            {"kind": n.kind.value, "subject": n.subject, "message": n.message} for n in plan.notices
        ],
        "summary": summary_to_dict(plan.summary),
        "safety": {gate.gate.value: gate_to_dict(gate) for gate in plan.safety},
        "consequences": consequences_to_dict(consequences_of(plan)),
    }
    if plan.desired_state is not None:
        doc["desired_state"] = plan.desired_state
    return doc


def plan_to_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# -- reading ---------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _CreateUser(_Strict):
    action: Literal["create_user"]
    phase: Literal["create_users"]
    email: str = Field(min_length=1)
    display_name: str = Field(min_length=1)
    first_name: str | None
    last_name: str | None
    language: str | None
    reasons: list[str]


class _Changes(_Strict):
    display_name: tuple[str, str] | None = None
    active: tuple[bool, bool] | None = None


class _UpdateUser(_Strict):
    action: Literal["update_user"]
    phase: Literal["update_users", "deactivate_users"]
    email: str = Field(min_length=1)
    id: str = Field(min_length=1)
    changes: _Changes
    reasons: list[str]


class _CreateGroup(_Strict):
    action: Literal["create_group"]
    phase: Literal["groups"]
    key: str = Field(min_length=1)
    name: str = Field(min_length=1)
    members: list[str] = Field(min_length=1)  # R6: never an empty group
    user_ids: dict[str, str]
    reasons: list[str]


class _UpdateGroup(_Strict):
    action: Literal["update_group"]
    phase: Literal["groups"]
    key: str = Field(min_length=1)
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    rename: tuple[str, str] | None = None
    add_members: list[str]
    remove_members: list[str]
    user_ids: dict[str, str]
    reasons: list[str]


class _DeleteGroup(_Strict):
    action: Literal["delete_group"]
    phase: Literal["delete_groups"]
    key: str = Field(min_length=1)
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    reasons: list[str]


_Operation = Annotated[
    _CreateUser | _UpdateUser | _CreateGroup | _UpdateGroup | _DeleteGroup,
    Field(discriminator="action"),
]


class _Notice(_Strict):
    kind: NoticeKind
    subject: str
    message: str


class _Gate(_Strict):
    value: int | float | bool
    limit: int | float | bool
    passes: bool
    detail: str


class _Safety(_Strict):
    max_deactivations: _Gate
    max_deactivation_percent: _Gate
    max_group_deletions: _Gate
    max_removals_per_group: _Gate
    max_removal_percent_per_group: _Gate
    empty_desired: _Gate


class _Summary(_Strict):
    create_user: int
    update_user: int
    create_group: int
    update_group: int
    delete_group: int
    deactivations: int
    reactivations: int
    total: int


_FINGERPRINT = r"^[0-9a-f]{64}$"


class _Expiration(_Strict):
    email: str = Field(min_length=1)
    group: str | None
    expires: str = Field(min_length=1)


class _Plan(_Strict):
    format_version: Literal[1]
    target: str
    live_fingerprint: str = Field(pattern=_FINGERPRINT)
    desired_fingerprint: str = Field(pattern=_FINGERPRINT)
    operations: list[_Operation]
    notices: list[_Notice]
    summary: _Summary
    safety: _Safety
    desired_state: str | None = Field(default=None, min_length=1)
    # Derived from the operations, like the summary; optional so that plans saved before
    # it existed still read. When present it must match the operations.
    consequences: dict[str, Any] | None = None
    # R24, optional in format_version 1: plans made without a time have neither.
    now: AwareDatetime | None = None
    expired: list[_Expiration] = []


def _refs(emails: list[str], user_ids: dict[str, str]) -> tuple[MemberRef, ...]:
    return tuple(MemberRef(email, user_ids.get(email)) for email in emails)


def _operation(wire: Any) -> Operation:
    reasons = tuple(wire.reasons)
    if isinstance(wire, _CreateUser):
        return CreateUser(
            email=wire.email,
            display_name=wire.display_name,
            first_name=wire.first_name,
            last_name=wire.last_name,
            language=wire.language,
            reasons=reasons,
        )
    if isinstance(wire, _UpdateUser):
        if wire.changes.display_name is None and wire.changes.active is None:
            raise ValueError(f"update_user {wire.email}: `changes` is empty")
        op: Operation = UpdateUser(
            email=wire.email,
            id=wire.id,
            display_name=wire.changes.display_name,
            active=wire.changes.active,
            reasons=reasons,
        )
        if op.phase.value != wire.phase:
            raise ValueError(
                f"update_user {wire.email}: phase must be {op.phase.value!r} for these changes"
            )
        return op
    if isinstance(wire, _CreateGroup):
        return CreateGroup(
            key=wire.key,
            name=wire.name,
            members=_refs(wire.members, wire.user_ids),
            reasons=reasons,
        )
    if isinstance(wire, _UpdateGroup):
        return UpdateGroup(
            key=wire.key,
            id=wire.id,
            name=wire.name,
            rename=wire.rename,
            add_members=_refs(wire.add_members, wire.user_ids),
            remove_members=_refs(wire.remove_members, wire.user_ids),
            reasons=reasons,
        )
    assert isinstance(wire, _DeleteGroup)
    return DeleteGroup(key=wire.key, id=wire.id, name=wire.name, reasons=reasons)


def _convert(doc: _Plan) -> Plan:
    operations = tuple(_operation(op) for op in doc.operations)
    if list(operations) != sorted(operations, key=lambda op: op.sort_key):
        raise ValueError("operations are not in phase order (R19)")
    safety = tuple(
        GateResult(
            gate=gate,
            value=getattr(doc.safety, gate.value).value,
            limit=getattr(doc.safety, gate.value).limit,
            passes=getattr(doc.safety, gate.value).passes,
            detail=getattr(doc.safety, gate.value).detail,
        )
        for gate in Gate
    )
    plan = Plan(
        target=doc.target,
        live_fingerprint=doc.live_fingerprint,
        desired_fingerprint=doc.desired_fingerprint,
        operations=operations,
        notices=tuple(
            sorted(Notice(kind=n.kind, subject=n.subject, message=n.message) for n in doc.notices)
        ),
        safety=safety,
        desired_state=doc.desired_state,
        now=doc.now,
        expired=tuple(sorted(Expiration(e.email, e.group, e.expires) for e in doc.expired)),
    )
    if doc.expired and doc.now is None:
        raise ValueError("`expired` is set but `now` is not")
    if summary_to_dict(plan.summary) != doc.summary.model_dump():
        raise ValueError("summary does not match the operations")
    if doc.consequences is not None and doc.consequences != consequences_to_dict(
        consequences_of(plan)
    ):
        raise ValueError("consequences do not match the operations")
    return plan


def plan_from_json(text: str | bytes) -> Plan:
    hint = "re-create it with `reconcile plan --out FILE`"
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"not a valid reconcile plan: not JSON ({exc}); {hint}") from exc
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise PlanFileError(
            f"not a valid reconcile plan: format_version is {version!r}, this reconcile reads "
            f"version {FORMAT_VERSION}; {hint}"
        )
    try:
        doc = _Plan.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors(include_url=False)[:5]
        )
        more = exc.error_count() - 5
        if more > 0:
            problems += f"; and {more} more"
        raise PlanFileError(f"not a valid reconcile plan: {problems}; {hint}") from exc
    try:
        return _convert(doc)
    except ValueError as exc:
        raise PlanFileError(f"not a valid reconcile plan: {exc}; {hint}") from exc
