"""Every command that talks to a service takes --ca-bundle (issue 14: a private CA or a
TLS-inspecting proxy must be trusted the same way everywhere)."""

from __future__ import annotations

from typing import Any

import typer.main

from reconcile.cli import app


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """The leaf commands of a click group (typer's own click may not be `click`)."""
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found.update(_commands(command, f"{prefix}{name} "))
        else:
            found[prefix + name] = command
    return found


def _options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in getattr(param, "opts", [])}


def test_every_command_with_a_target_takes_a_ca_bundle() -> None:
    commands = _commands(typer.main.get_command(app))
    with_target = {name for name, command in commands.items() if "--target" in _options(command)}
    assert {"plan", "apply", "drift", "import", "snapshot", "report"} <= with_target
    missing = sorted(name for name in with_target if "--ca-bundle" not in _options(commands[name]))
    assert missing == []
