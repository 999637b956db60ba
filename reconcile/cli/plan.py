"""`reconcile plan` and `reconcile drift`: read desired and live state, plan, render."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import typer

from reconcile.cli.app import app
from reconcile.cli.common import ExitCode, emit, fail, stderr, stdout
from reconcile.cli.desired_input import load_or_exit
from reconcile.cli.live_options import (
    CA_BUNDLE,
    LIVE_FILE,
    PROFILE,
    TARGET,
    TOKEN_FILE,
    cli_errors,
    read_live_with_facts,
)
from reconcile.cli.now import NOW, resolve_now
from reconcile.cli.saved_plan import recorded_path
from reconcile.desired.model import Desired
from reconcile.files import write_atomically
from reconcile.live.model import Live
from reconcile.live.profiles import Profile
from reconcile.live.snapshot import read_snapshot
from reconcile.plan import Plan, PlanningError, Policy, plan
from reconcile.plan.render import OutputFormat, render
from reconcile.plan.render.drift import (
    Drift,
    render_drift_json,
    render_drift_markdown,
    render_drift_text,
)
from reconcile.plan.wire import plan_to_json
from reconcile.text import plural

PATH = typer.Argument(Path("desired_state"), help="The desired-state folder (or one YAML file).")
FORMAT = typer.Option(
    OutputFormat.TEXT.value,
    "--format",
    case_sensitive=False,
    help="text (terminal), markdown (pull-request comment) or json (the versioned contract).",
)


def _live_and_target(
    *,
    target: str | None,
    live_file: Path | None,
    profile: Profile,
    token_file: Path | None,
    desired: Desired,
) -> tuple[Live, Policy]:
    """The live state, and the policy to plan with (the target the plan is for...).

    A snapshot's plan is for the target the snapshot was taken from, so that `apply --plan`
    on that target accepts it while the live state is unchanged (R21).
    """
    if live_file is not None:
        with cli_errors():
            snap = read_snapshot(live_file)
        stderr.print(
            f"reading live state from the snapshot {live_file} of {snap.target}",
            markup=False,
            highlight=False,
        )
        return snap.live, Policy(target=snap.target)
    live, label, facts = read_live_with_facts(
        target=target, profile=profile, token_file=token_file, desired=desired
    )
    return live, Policy(target=label, sso_extension=facts.sso_extension)


def load_and_plan(
    path: Path,
    *,
    target: str | None,
    live_file: Path | None,
    profile: Profile,
    token_file: Path | None,
    now: datetime,
) -> tuple[Desired, Live, Plan]:
    """The desired state, the live state and their plan (errors end the command)."""
    desired = load_or_exit(path)  # before contacting the service: bad files cost nothing
    live, policy = _live_and_target(
        target=target,
        live_file=live_file,
        profile=profile,
        token_file=token_file,
        desired=desired,
    )
    return desired, live, plan_or_exit(desired, live, replace(policy, now=now))


def plan_or_exit(desired: Desired, live: Live, policy: Policy) -> Plan:
    """Plan; a blocking problem (R7 ambiguity...) is printed like a validation error."""
    try:
        return plan(desired, live, policy)
    except PlanningError as exc:
        for diagnostic in exc.diagnostics:
            stderr.print(f"{diagnostic}", markup=False, highlight=False)
        count = len(exc.diagnostics)
        stderr.print(
            f"{plural(count, 'problem')} {'blocks' if count == 1 else 'block'} planning; "
            "nothing was planned",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(int(ExitCode.ERROR)) from None


@app.command("plan")
def plan_command(
    path: Path = PATH,
    target: str | None = TARGET,
    live_file: Path | None = LIVE_FILE,
    profile: Profile = PROFILE,
    token_file: Path | None = TOKEN_FILE,
    ca_bundle: Path | None = CA_BUNDLE,  # read by open_client (see live_options)
    now: str | None = NOW,
    out: Path | None = typer.Option(
        None,
        "--out",
        dir_okay=False,
        metavar="FILE",
        help="Also save the plan as JSON for `reconcile apply --plan FILE`.",
    ),
    fmt: OutputFormat = FORMAT,
    detailed_exitcode: bool = typer.Option(
        False,
        "--detailed-exitcode",
        help="Exit 2 when the plan has changes (0 when there are none, 1 on errors).",
    ),
) -> None:
    """Show what apply would change, and why; nothing is written to the service."""
    result = replace(
        load_and_plan(
            path,
            target=target,
            live_file=live_file,
            profile=Profile(profile),
            token_file=token_file,
            now=resolve_now(now),
        )[2],
        desired_state=recorded_path(path),  # for `apply --plan FILE` without PATH
    )
    fmt = OutputFormat(fmt)
    emit(render(result, fmt, color=fmt is OutputFormat.TEXT and stdout.is_terminal))
    if out is not None:
        try:
            write_atomically(out, plan_to_json(result))
        except OSError as exc:
            fail(f"cannot write the plan to {out} ({exc.strerror or exc}); check --out")
        stderr.print(f"saved the plan to {out}", markup=False, highlight=False)
    if detailed_exitcode and result.has_changes:
        raise typer.Exit(int(ExitCode.CHANGES))


@app.command()
def drift(
    path: Path = PATH,
    target: str | None = TARGET,
    live_file: Path | None = LIVE_FILE,
    profile: Profile = PROFILE,
    token_file: Path | None = TOKEN_FILE,
    ca_bundle: Path | None = CA_BUNDLE,  # read by open_client (see live_options)
    now: str | None = NOW,
    fmt: OutputFormat = FORMAT,
) -> None:
    """Report drift: pending changes and unmanaged users and groups; exit 2 if any, else 0."""
    report = Drift.of(
        load_and_plan(
            path,
            target=target,
            live_file=live_file,
            profile=Profile(profile),
            token_file=token_file,
            now=resolve_now(now),
        )[2]
    )
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.JSON:
        emit(render_drift_json(report))
    elif fmt is OutputFormat.MARKDOWN:
        emit(render_drift_markdown(report))
    else:
        emit(render_drift_text(report))
    if report.exists:
        raise typer.Exit(int(ExitCode.CHANGES))
