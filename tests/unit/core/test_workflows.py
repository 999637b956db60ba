"""The GitHub workflows only run commands and options the CLI really has (issue 6)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from reconcile.cli import app

WORKFLOWS = Path(__file__).resolve().parents[3] / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))


def _steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def _invocations(script: str) -> list[list[str]]:
    """Every `reconcile ...` command line in a shell script (variables left as words)."""
    found = []
    for line in script.splitlines():
        line = line.split(" #")[0].strip()
        for part in re.split(r"&&|\|\||;|\|", line):
            words = shlex.split(part.replace("$", "")) if "reconcile" in part else []
            if words and words[0] == "reconcile":
                found.append(words[1:])
    return found


def _commands() -> dict[str, Any]:
    """The CLI's commands by name (typer builds a click-style group)."""
    group = typer.main.get_command(app)
    commands: dict[str, Any] = group.commands  # type: ignore[attr-defined]
    return commands


def test_there_are_the_four_workflows() -> None:
    assert {f.name for f in FILES} == {"ci.yml", "plan.yml", "apply.yml", "drift.yml"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_reconcile_command_and_option_exists(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    commands = _commands()
    for step in _steps(document):
        for words in _invocations(step.get("run", "")):
            name, *rest = words
            command = commands.get(name)
            assert command is not None, f"{path.name}: `reconcile {name}` does not exist"
            options = {opt for param in command.params for opt in param.opts}
            for word in rest:
                if word.startswith("--"):
                    assert word in options, f"{path.name}: `reconcile {name} {word}` unknown"


def test_the_invocation_parser_finds_commands() -> None:
    script = "reconcile plan desired_state/ $SOURCE --out plan.json\necho x && reconcile drift --x"
    assert _invocations(script) == [
        ["plan", "desired_state/", "SOURCE", "--out", "plan.json"],
        ["drift", "--x"],
    ]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_secrets_come_only_from_the_secrets_context(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    for step in _steps(document):
        for name, value in (step.get("env") or {}).items():
            if "TOKEN" in name or "SSO" in name:
                assert re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+ \}\}", str(value)), (path.name, name)
        assert "TEAMVIEWER_TOKEN" not in step.get("run", ""), "a token on a command line"


def test_apply_runs_one_at_a_time_with_the_gates_on() -> None:
    document = yaml.safe_load((WORKFLOWS / "apply.yml").read_text(encoding="utf-8"))
    assert document["concurrency"]["cancel-in-progress"] is False
    runs = " ".join(step.get("run", "") for step in _steps(document))
    assert "--auto-approve" in runs
    assert "--allow-mass-change" not in runs
