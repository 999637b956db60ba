"""The typer application every command module registers on."""

from __future__ import annotations

from pathlib import Path

import typer

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


@app.callback()
def root(
    debug: bool = typer.Option(
        False, "--debug", help="Show Python tracebacks for errors (never shows secrets)."
    ),
) -> None:
    """TeamViewer access declared as YAML in git, applied through SCIM 2.0."""
    state.debug = debug
