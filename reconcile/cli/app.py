"""The typer application every command module registers on."""

from __future__ import annotations

from pathlib import Path

import typer

from reconcile.cli.logs import LOG_LEVEL_ENV, configure_logging
from reconcile.gcpause import cycle_collection_paused

app = typer.Typer(
    name="reconcile",
    help="TeamViewer access declared as YAML in git, applied through SCIM 2.0.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
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


def _print_version(value: bool) -> None:
    if value:
        from reconcile import __version__

        print(__version__)
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: bool = typer.Option(
        False, "--debug", help="Show Python tracebacks for errors (never shows secrets)."
    ),
    _version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit (as `reconcile version`).",
    ),
    verbose: int = typer.Option(
        0,
        "--verbose",
        "-v",
        count=True,
        help="Log each SCIM request (method, path, status, ms, attempt) to stderr; -vv adds "
        f"the HTTP library's lines. Also {LOG_LEVEL_ENV}=DEBUG. Never tokens or bodies.",
    ),
) -> None:
    """TeamViewer access declared as YAML in git, applied through SCIM 2.0."""
    state.debug = debug
    configure_logging(verbosity=verbose)
    if ctx.invoked_subcommand not in LONG_RUNNING:
        # The one place the collector is paused (see gcpause.py): for the whole command,
        # released when the command's context closes, also on error.
        ctx.with_resource(cycle_collection_paused())
