"""One version everywhere; `reconcile --version` and shell completion work."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from typer.testing import CliRunner

from reconcile import __version__
from reconcile.cli import app

REPO = Path(__file__).resolve().parents[3]


def test_version_option_prints_the_version_like_the_command() -> None:
    option = CliRunner().invoke(app, ["--version"])
    command = CliRunner().invoke(app, ["version"])
    assert option.exit_code == command.exit_code == 0
    assert option.stdout == command.stdout == f"{__version__}\n"


def test_the_package_version_is_read_from_reconcile_version() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert version("reconcile") == __version__


def test_shell_completion_script_is_printed_for_bash() -> None:
    result = CliRunner().invoke(app, ["--show-completion", "bash"])
    assert result.exit_code == 0, result.output
    assert "_RECONCILE_COMPLETE=complete_bash" in result.stdout
