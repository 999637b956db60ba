"""`reconcile apply`: plan (or load a saved plan), check the gates, confirm, execute."""

from __future__ import annotations

import asyncio
import sys
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
from reconcile.cli.progress import ApplyProgress, fetching
from reconcile.cli.saved_plan import desired_path_for_apply
from reconcile.desired.model import Desired
from reconcile.live.profiles import Profile
from reconcile.lock import exclusive
from reconcile.plan import Gate, Plan, Policy, plan
from reconcile.plan.render import render_text

STATE_DIR = Path(".reconcile")


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
        help="Override every safety gate (R20), including an empty desired state.",
    ),
    concurrency: int = typer.Option(
        8, "--concurrency", min=1, max=64, help="Operations in flight inside one phase."
    ),
    audit_log: Path = typer.Option(
        DEFAULT_AUDIT_LOG, "--audit-log", dir_okay=False, help="Append audit events here."
    ),
) -> None:
    """Make TeamViewer match the desired state: users are never deleted, only deactivated."""
    desired = load_or_exit(desired_path_for_apply(path=path, plan_file=plan_file))
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
                allow_mass_change=allow_mass_change,
                concurrency=concurrency,
                audit_log=audit_log,
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
    allow_mass_change: bool,
    concurrency: int,
    audit_log: Path,
) -> ExitCode:
    async with open_client(
        target=target,
        profile=profile,
        token_file=token_file,
        rate_limit_rps=rate_limit,
        rate_limit_burst=rate_limit_burst,
        max_concurrency=concurrency,
    ) as client:
        with fetching(client.label):
            live = await fetch_desired_for(client, desired)
        policy = Policy(target=client.label, sso_extension=client.facts.sso_extension)
        fresh = plan(desired, live, policy)
        chosen = fresh if plan_file is None else _saved_plan_or_refuse(plan_file, fresh)
        if chosen is None:
            return ExitCode.REFUSED
        emit(render_text(chosen, color=stdout.is_terminal))
        if not chosen.has_changes:
            return ExitCode.OK
        # The gates are judged on the fresh plan, never on a saved file's own safety block
        # (which anyone could edit); a saved plan is only accepted when it equals it.
        if not _gates_pass(fresh, allow_mass_change=allow_mass_change):
            return ExitCode.REFUSED
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
                chosen,
                client=client,
                sso_customer_id=desired.tenant.sso_customer_id,
                concurrency=concurrency,
                audit=audit,
                on_outcome=progress.advance,
            )
    return _report(result, audit_log=audit_log, run_id=run_id)


def _saved_plan_or_refuse(plan_file: Path, fresh: Plan) -> Plan | None:
    """R21: a saved plan is applied only if planning now gives the very same plan."""
    try:
        text = plan_file.read_bytes()
    except OSError as exc:
        fail(f"cannot read the plan file {plan_file} ({exc.strerror}); check --plan")
    saved = Plan.from_json(text)
    problems = []
    if saved.target != fresh.target:
        problems.append(f"it was made for {saved.target}, not {fresh.target}")
    if saved.live_fingerprint != fresh.live_fingerprint:
        problems.append("the live state changed since it was made")
    if saved.desired_fingerprint != fresh.desired_fingerprint:
        problems.append("the desired state changed since it was made")
    if saved.operations != fresh.operations and not problems:
        problems.append("planning now gives different operations")
    if not problems:
        return saved
    stderr.print(
        f"error: refusing the saved plan {plan_file}: {'; '.join(problems)}. "
        "The fresh plan is below: review it, then apply it or save it again with "
        "`reconcile plan --out`.",
        markup=False,
        highlight=False,
    )
    emit(render_text(fresh, color=stdout.is_terminal))
    return None


def _gates_pass(chosen: Plan, *, allow_mass_change: bool) -> bool:
    """R20: refuse a plan over any safety limit unless overridden on the command line."""
    failed = chosen.failed_gates
    if not failed:
        return True
    if allow_mass_change:
        for gate in failed:
            stderr.print(
                f"warning: safety gate {gate.gate} overridden by --allow-mass-change: "
                f"{gate.detail}",
                markup=False,
                highlight=False,
            )
        return True
    for gate in failed:
        stderr.print(
            f"error: safety gate {gate.gate} refused the plan: {gate.detail} "
            f"(value {gate.value}, limit {gate.limit})",
            markup=False,
            highlight=False,
        )
    if any(gate.gate is Gate.EMPTY_DESIRED for gate in failed):
        advice = (
            "check that PATH is the right folder; if emptying it is intended, pass "
            "--allow-mass-change"
        )
    else:
        advice = (
            "if this is intended, raise the limit under tenant.safety in the desired state, "
            "or pass --allow-mass-change to override the gates for this run"
        )
    stderr.print(f"nothing was changed; {advice}.", markup=False, highlight=False)
    return False


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
    stdout.print(
        f"Apply finished: {done} done, {failed} failed, {skipped} skipped, "
        f"{result.requests} requests (run {run_id}, audit log {audit_log}).",
        markup=False,
        highlight=False,
    )
    return ExitCode.ERROR if failed or skipped else ExitCode.OK
