"""`reconcile apply`: plan (or load a saved plan), check it, confirm, execute.

The checks (R20 gates, R21 staleness) are the library's `check_applicable`; this command
only prints its refusals and maps them to exit 3.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

import typer

from reconcile.apply import ApplyResult, apply_plan
from reconcile.audit import DEFAULT_AUDIT_LOG, AuditLog, new_run_id
from reconcile.cli.app import app
from reconcile.cli.common import ExitCode, emit, fail, stderr, stdout
from reconcile.cli.desired_input import load_or_exit
from reconcile.cli.live_options import (
    CA_BUNDLE,
    PROFILE,
    RATE_LIMIT,
    RATE_LIMIT_BURST,
    TARGET,
    TOKEN_FILE,
    cli_errors,
    fetch_desired_for,
    open_client,
)
from reconcile.cli.now import NOW, resolve_now
from reconcile.cli.progress import ApplyProgress, fetching
from reconcile.cli.saved_plan import desired_path_for_apply
from reconcile.desired.model import Desired
from reconcile.live.profiles import Profile
from reconcile.lock import exclusive
from reconcile.plan import Plan, Policy, plan
from reconcile.plan.errors import StalePlan, UnsafePlan
from reconcile.plan.expiry import only_expired
from reconcile.plan.render import render_text
from reconcile.plan.safety import ApplicablePlan, Override, check_applicable
from reconcile.plan.wire import plan_from_json
from reconcile.state_dir import STATE_DIR


@app.command()
def apply(
    path: Path | None = typer.Argument(
        None,
        help="The desired-state folder [default: desired_state, or with --plan the folder "
        "the plan was made from].",
        show_default=False,
    ),
    plan_file: Path | None = typer.Option(
        None,
        "--plan",
        dir_okay=False,
        metavar="FILE",
        help="Apply a saved plan (reconcile plan --out FILE); refused if live state changed.",
    ),
    target: str | None = TARGET,
    profile: Profile = PROFILE,
    token_file: Path | None = TOKEN_FILE,
    ca_bundle: Path | None = CA_BUNDLE,  # read by open_client (see live_options)
    rate_limit: float | None = RATE_LIMIT,
    rate_limit_burst: int = RATE_LIMIT_BURST,
    auto_approve: bool = typer.Option(
        False, "--auto-approve", help="Apply without asking (required without a terminal)."
    ),
    allow_mass_change: bool = typer.Option(
        False,
        "--allow-mass-change",
        help="Override every safety gate (R20), including an empty desired state "
        "(with --allow-deactivations, the deactivation gates stay bound to its N).",
    ),
    allow_deactivations: int | None = typer.Option(
        None,
        "--allow-deactivations",
        min=0,
        metavar="N",
        help="Override the deactivation gates (R20) only while the fresh plan deactivates "
        "at most N users (the count that was reviewed); more is refused (exit 3).",
    ),
    concurrency: int = typer.Option(
        8, "--concurrency", min=1, max=64, help="Operations in flight inside one phase."
    ),
    max_members_per_request: int | None = typer.Option(
        None,
        "--max-members-per-request",
        min=1,
        metavar="N",
        help="Member values one group request carries at most [default: "
        "tenant.service.max_members_per_request, else 1000]. A request the service refuses "
        "for its size is split and sent again either way, and the smaller size kept.",
    ),
    audit_log: Path = typer.Option(
        DEFAULT_AUDIT_LOG, "--audit-log", dir_okay=False, help="Append audit events here."
    ),
    now: str | None = NOW,
    expired_only: bool = typer.Option(
        False,
        "--only-expired",
        help="Apply only what expiry causes (R24): expired memberships removed and the "
        "deactivations that follow; every other pending change waits. Every gate applies.",
    ),
) -> None:
    """Make TeamViewer match the desired state: users are never deleted, only deactivated."""
    desired_path = desired_path_for_apply(path=path, plan_file=plan_file)
    if plan_file is not None and expired_only:
        fail("--only-expired plans afresh at --now (or the current time): pass PATH without --plan")
    at = resolve_now(now)
    desired = load_or_exit(desired_path)
    with cli_errors(), exclusive(STATE_DIR):
        code = asyncio.run(
            _run(
                desired=desired,
                plan_file=plan_file,
                target=target,
                profile=Profile(profile),
                token_file=token_file,
                rate_limit=rate_limit,
                rate_limit_burst=rate_limit_burst,
                auto_approve=auto_approve,
                override=Override(all_gates=allow_mass_change, deactivations=allow_deactivations),
                concurrency=concurrency,
                # the command line over the file (either sets it up front)
                max_members=max_members_per_request
                or desired.tenant.service.max_members_per_request,
                audit_log=audit_log,
                now=at,
                expired_only=expired_only,
            )
        )
    raise typer.Exit(int(code))


async def _run(
    *,
    desired: Desired,
    plan_file: Path | None,
    target: str | None,
    profile: Profile,
    token_file: Path | None,
    rate_limit: float | None,
    rate_limit_burst: int,
    auto_approve: bool,
    override: Override,
    concurrency: int,
    max_members: int | None,
    audit_log: Path,
    now: datetime,
    expired_only: bool,
) -> ExitCode:
    async with open_client(
        target=target,
        profile=profile,
        token_file=token_file,
        rate_limit_rps=rate_limit,
        rate_limit_burst=rate_limit_burst,
        max_concurrency=concurrency,
        max_members_per_request=max_members,
    ) as client:
        with fetching(client.label):
            live = await fetch_desired_for(client, desired)
        policy = Policy(target=client.label, sso_extension=client.facts.sso_extension, now=now)
        fresh = plan(desired, live, policy)
        if expired_only:  # R24: the gates judge this cut-down plan, not the full one
            fresh = only_expired(fresh, desired=desired, live=live)
        checked = _check(fresh, plan_file=plan_file, override=override)
        if checked is None:
            return ExitCode.REFUSED
        chosen = checked.plan
        emit(render_text(chosen, color=stdout.is_terminal))
        if not chosen.has_changes:
            return ExitCode.OK
        _warn_overridden(checked, override=override)
        if not auto_approve and not sys.stdin.isatty():
            stderr.print(
                "error: refusing to apply without confirmation: there is no terminal to ask "
                "on; review the plan above, then pass --auto-approve",
                markup=False,
                highlight=False,
            )
            return ExitCode.ERROR
        if not auto_approve and not typer.confirm(
            f"Apply {len(chosen.operations)} operations to {client.label}?", err=True
        ):
            stderr.print("apply cancelled; nothing was changed", markup=False)
            return ExitCode.ERROR
        run_id = new_run_id()
        with (
            AuditLog(path=audit_log, run_id=run_id) as audit,
            ApplyProgress(total=len(chosen.operations)) as progress,
        ):
            result = await apply_plan(
                checked,
                client=client,
                sso_customer_id=desired.tenant.sso_customer_id,
                concurrency=concurrency,
                audit=audit,
                on_outcome=progress.advance,
            )
    return _report(result, audit_log=audit_log, run_id=run_id)


def _check(fresh: Plan, *, plan_file: Path | None, override: Override) -> ApplicablePlan | None:
    """The library's check (R20, R21); its refusals printed, None when refused."""
    saved = None if plan_file is None else _read_saved_plan(plan_file)
    try:
        checked = check_applicable(fresh=fresh, saved=saved, override=override)
    except StalePlan as exc:
        _refuse_stale(exc, plan_file=plan_file)
        return None
    except UnsafePlan as exc:
        emit(render_text(exc.plan, color=stdout.is_terminal))
        _refuse_unsafe(exc)
        return None
    return checked


def _warn_overridden(checked: ApplicablePlan, *, override: Override) -> None:
    for gate in checked.overridden:
        flag = override.flag_for(gate)
        _print(f"warning: safety gate {gate.gate} overridden by {flag}: {gate.detail}")


def _read_saved_plan(plan_file: Path) -> Plan:
    try:
        text = plan_file.read_bytes()
    except OSError as exc:
        fail(f"cannot read the plan file {plan_file} ({exc.strerror}); check --plan")
    return plan_from_json(text)


def _print(line: str) -> None:
    stderr.print(line, markup=False, highlight=False)


def _refuse_stale(exc: StalePlan, *, plan_file: Path | None) -> None:
    """R21: say why the saved plan was refused, then show the fresh plan."""
    _print(
        f"error: refusing the saved plan {plan_file}: {'; '.join(exc.problems)}. "
        "The fresh plan is below: review it, then apply it or save it again with "
        "`reconcile plan --out`."
    )
    emit(render_text(exc.fresh, color=stdout.is_terminal))


def _refuse_unsafe(exc: UnsafePlan) -> None:
    """R20: one line per refusing gate, then what to do."""
    for refusal in exc.refusals:
        _print(f"error: {refusal}")
    _print(exc.advice)


def _report(result: ApplyResult, *, audit_log: Path, run_id: str) -> ExitCode:
    done, failed, skipped = len(result.succeeded), len(result.failed), len(result.skipped)
    for outcome in result.succeeded:
        if outcome.message:  # done, but adjusted because something else failed
            stderr.print(f"note: {outcome.subject}: {outcome.message}", markup=False)
    if failed or skipped:
        stderr.print("Failures:", markup=False)
        for outcome in (*result.failed, *result.skipped):
            stderr.print(
                f"  {outcome.status} {outcome.operation.action} {outcome.subject}: "
                f"{outcome.message}",
                markup=False,
                highlight=False,
            )
    for learned in result.limits:
        stderr.print(
            f"note: {learned.message} ({learned.method} {learned.path} answered "
            f"{learned.status}); set tenant.service.max_members_per_request or "
            "--max-members-per-request to send that size from the start",
            markup=False,
            highlight=False,
        )
    refused = (
        f", {result.size_refusals} of them refused for their size and sent again smaller "
        f"({'; '.join(learned.message for learned in result.limits)})"
        if result.size_refusals
        else ""
    )
    stdout.print(
        f"Apply finished: {done} done, {failed} failed, {skipped} skipped, "
        f"{result.requests} requests{refused} (run {run_id}, audit log {audit_log}).",
        markup=False,
        highlight=False,
    )
    return ExitCode.ERROR if failed or skipped else ExitCode.OK
