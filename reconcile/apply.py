"""Run a Plan against a SCIM service: phases in order, bounded concurrency, audit events.

The applier runs only a plan that passed `check_applicable` (R20 gates, R21 staleness:
reconcile.plan.safety), and never recomputes it; it only turns operations into the fewest
requests (the client does the request shapes and chunking, R18) and copes with failure:

- phases run in R19 order; inside a phase up to `concurrency` operations are in flight;
- a failed operation never stops the run. Operations that depend on it are adjusted
  (a group is created or updated without the user whose creation failed) or skipped
  with a reason (a group left without any member is not created, R6);
- every operation attempt is one audit event; a create settled by a look-up (R17) adds
  a `user_lookup_provision` event.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import assert_never

from reconcile.audit import AuditEvent, AuditLog, EventType
from reconcile.errors import ReconcileError
from reconcile.live.client import LearnedLimit, RequestRecord, ScimClient
from reconcile.plan.model import (
    PHASES,
    CreateGroup,
    CreateUser,
    DeleteGroup,
    MemberRef,
    Operation,
    UpdateGroup,
    UpdateUser,
)
from reconcile.plan.safety import ApplicablePlan


class Status(StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one operation."""

    operation: Operation
    status: Status
    live_id: str | None = None
    message: str | None = None  # why it failed or was skipped, or what was adjusted

    @property
    def subject(self) -> str:
        return self.operation.subject


@dataclass(frozen=True, slots=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]
    requests: int  # HTTP requests sent, retries included
    # Member limits the service taught this run (each one refused group request), and
    # how many group requests were refused for their size in all (member_limits.py).
    limits: tuple[LearnedLimit, ...] = ()
    size_refusals: int = 0

    def with_status(self, status: Status) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status is status)

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return self.with_status(Status.FAILED)

    @property
    def skipped(self) -> tuple[Outcome, ...]:
        return self.with_status(Status.SKIPPED)

    @property
    def succeeded(self) -> tuple[Outcome, ...]:
        return self.with_status(Status.DONE)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped


ProgressHook = Callable[[Outcome], None]


@dataclass(slots=True)
class _RunState:
    """What later phases need to know about earlier ones."""

    created_ids: dict[str, str] = field(default_factory=dict)  # email key -> new id
    failed_users: dict[str, str] = field(default_factory=dict)  # email key -> why
    requests: int = 0
    limits_reported: int = 0  # client.learned_limits already written to the audit log


async def apply_plan(
    checked: ApplicablePlan,
    *,
    client: ScimClient,
    sso_customer_id: str | None = None,
    concurrency: int = 8,
    audit: AuditLog | None = None,
    on_outcome: ProgressHook | None = None,
) -> ApplyResult:
    """Execute the checked plan phase by phase (R19); never raises for one failed operation.

    `checked` comes from `check_applicable(...)`: a plain Plan is refused, so no caller
    can skip the safety gates or the staleness check.
    """
    if not isinstance(checked, ApplicablePlan):
        raise TypeError(
            "apply_plan runs only a checked plan: pass check_applicable(fresh=..., ...)"
        )
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    plan = checked.plan
    run = _RunState(limits_reported=len(client.learned_limits))
    first_limit, refusals_before = run.limits_reported, client.size_refusals
    slots = asyncio.Semaphore(concurrency)
    outcomes: list[Outcome] = []

    async def one(op: Operation) -> Outcome:
        async with slots:
            with client.recording() as records:
                started = time.monotonic()
                outcome = await _execute(op, client=client, run=run, sso=sso_customer_id)
                duration = time.monotonic() - started
            run.requests += len(records)
            learned = client.learned_limits[run.limits_reported :]
            run.limits_reported = len(client.learned_limits)
            if audit is not None:
                note = "; ".join(
                    f"{x.message} ({x.method} {x.path} answered {x.status})" for x in learned
                )
                for event in _audit_events(outcome, records, duration, note=note or None):
                    audit.write(event)
            if on_outcome is not None:
                on_outcome(outcome)
            return outcome

    for phase in PHASES:
        ops = plan.in_phase(phase)
        if ops:
            # gather keeps the plan's order in the result whatever the completion order.
            outcomes.extend(await asyncio.gather(*(one(op) for op in ops)))
    return ApplyResult(
        outcomes=tuple(outcomes),
        requests=run.requests,
        limits=tuple(client.learned_limits[first_limit:]),
        size_refusals=client.size_refusals - refusals_before,
    )


async def _execute(
    op: Operation, *, client: ScimClient, run: _RunState, sso: str | None
) -> Outcome:
    try:
        return await _dispatch(op, client=client, run=run, sso=sso)
    except ReconcileError as exc:
        return Outcome(op, Status.FAILED, live_id=_live_id(op), message=str(exc))
    except Exception as exc:  # a bug or an unforeseen library error: still one operation
        # Never let one operation abort the run: later phases (and their audit events)
        # must still happen. The message names the type so the bug can be reported.
        return Outcome(
            op,
            Status.FAILED,
            live_id=_live_id(op),
            message=f"unexpected {type(exc).__name__}: {exc}; run plan again, and report "
            "this error if it repeats",
        )


async def _dispatch(
    op: Operation, *, client: ScimClient, run: _RunState, sso: str | None
) -> Outcome:
    """One operation's requests; exhaustive over the operation types (mypy checks it)."""
    match op:
        case CreateUser():
            return await _create_user(op, client=client, run=run, sso=sso)
        case UpdateUser():
            await client.update_user(
                user_id=op.id,
                display_name=op.display_name[1] if op.display_name else None,
                active=op.active[1] if op.active else None,
            )
            return Outcome(op, Status.DONE, live_id=op.id)
        case CreateGroup():
            return await _create_group(op, client=client, run=run)
        case UpdateGroup():
            return await _update_group(op, client=client, run=run)
        case DeleteGroup():
            await client.delete_group(group_id=op.id)
            return Outcome(op, Status.DONE, live_id=op.id)
        case _:
            assert_never(op)


def _live_id(op: Operation) -> str | None:
    """The live id an operation works on; None for a create (there is none yet)."""
    match op:
        case CreateUser() | CreateGroup():
            return None
        case UpdateUser() | UpdateGroup() | DeleteGroup():
            return op.id
        case _:
            assert_never(op)


async def _create_user(
    op: CreateUser, *, client: ScimClient, run: _RunState, sso: str | None
) -> Outcome:
    try:
        new_id = await client.create_user(
            email=op.email,
            display_name=op.display_name,
            active=True,
            language=op.language,
            sso_customer_id=sso,
        )
    except ReconcileError as exc:
        run.failed_users[op.key] = str(exc)
        raise
    run.created_ids[op.key] = new_id
    return Outcome(op, Status.DONE, live_id=new_id)


def _resolve(members: tuple[MemberRef, ...], run: _RunState) -> tuple[list[str], list[str]]:
    """Live ids of the members, and the e-mails left out because their creation failed."""
    ids: list[str] = []
    missing: list[str] = []
    for member in members:
        member_id = member.id or run.created_ids.get(member.key)
        if member_id is None:
            missing.append(member.email)
        else:
            ids.append(member_id)
    return ids, missing


def _left_out(missing: list[str]) -> str:
    return f"without {', '.join(missing)}: creating {'it' if len(missing) == 1 else 'them'} failed"


async def _create_group(op: CreateGroup, *, client: ScimClient, run: _RunState) -> Outcome:
    ids, missing = _resolve(op.members, run)
    if not ids:
        # R6: an empty group is never created, even when it became empty by failure.
        return Outcome(
            op,
            Status.SKIPPED,
            message=f"not created: none of its members exists ({_left_out(missing)}); "
            "fix the failed users and apply again",
        )
    group_id = await client.create_group(name=op.name, member_ids=ids)
    note = f"created {_left_out(missing)}; apply again once fixed" if missing else None
    return Outcome(op, Status.DONE, live_id=group_id, message=note)


async def _update_group(op: UpdateGroup, *, client: ScimClient, run: _RunState) -> Outcome:
    add_ids, missing = _resolve(op.add_members, run)
    remove_ids, _ = _resolve(op.remove_members, run)  # removals always have live ids
    rename = op.rename[1] if op.rename else None
    if rename is None and not add_ids and not remove_ids:
        return Outcome(
            op, Status.SKIPPED, live_id=op.id, message=f"nothing left to do {_left_out(missing)}"
        )
    await client.patch_group(group_id=op.id, rename=rename, add_ids=add_ids, remove_ids=remove_ids)
    note = f"updated {_left_out(missing)}; apply again once fixed" if missing else None
    return Outcome(op, Status.DONE, live_id=op.id, message=note)


# --- audit ---------------------------------------------------------------------------


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _audit_events(
    outcome: Outcome, records: list[RequestRecord], duration: float, *, note: str | None = None
) -> list[AuditEvent]:
    """One event for the operation (its last write request), plus one per R17 look-up;
    `note` (a member limit learnt during it) goes on the operation's event."""
    op = outcome.operation
    writes = [r for r in records if r.method in _WRITES]
    main = writes[-1] if writes else (records[-1] if records else None)
    events = []
    if isinstance(op, CreateUser) and any(r.method == "GET" for r in records):
        lookups = [r for r in records if r.method == "GET"]
        last = lookups[-1]
        events.append(
            AuditEvent(
                event_type=EventType.USER_LOOKUP,
                success=outcome.status is Status.DONE,
                resource=op.email,
                live_id=outcome.live_id,
                method=last.method,
                path=last.path,
                status=last.status,
                duration_ms=sum(r.duration for r in lookups) * 1000,
                error=None if outcome.status is Status.DONE else outcome.message,
            )
        )
    events.append(
        AuditEvent(
            event_type=op.audit_event,
            success=outcome.status is Status.DONE,
            resource=op.subject,
            live_id=outcome.live_id,
            method=main.method if main else _method(op),
            path=main.path if main else "",
            status=main.status if main else None,
            duration_ms=duration * 1000,
            error=outcome.message if outcome.status is not Status.DONE else None,
            note=note,
        )
    )
    return events


def _method(op: Operation) -> str:
    """The HTTP method an operation writes with (for its event when no request was sent)."""
    match op:
        case CreateUser() | CreateGroup():
            return "POST"
        case UpdateUser() | UpdateGroup():
            return "PATCH"
        case DeleteGroup():
            return "DELETE"
        case _:
            assert_never(op)
