"""The typer application every command module registers on."""

from __future__ import annotations

from pathlib import Path

import typer

from reconcile.gcpause import cycle_collection_paused

app = typer.Typer(
    name="reconcile",
    help="TeamViewer access declared as YAML in git, applied through SCIM 2.0.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class State:
    """Options shared by every command (set by the root callback, or by the option's own
    callback for an option that every command talking to a service declares)."""

    debug: bool = False
    ca_bundle: Path | None = None  # --ca-bundle / RECONCILE_CA_BUNDLE


state = State()


# Commands that serve until stopped: they keep the cycle collector running.
LONG_RUNNING = frozenset({"emulator"})


@app.callback()
def root(
    ctx: typer.Context,
    debug: bool = typer.Option(
        False, "--debug", help="Show Python tracebacks for errors (never shows secrets)."
    ),
) -> None:
    """TeamViewer access declared as YAML in git, applied through SCIM 2.0."""
    state.debug = debug
    if ctx.invoked_subcommand not in LONG_RUNNING:
        # The one place the collector is paused (see gcpause.py): for the whole command,
        # released when the command's context closes, also on error.
        ctx.with_resource(cycle_collection_paused())
