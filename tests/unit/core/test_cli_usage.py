"""Usage errors: exit 1 (never click's 2, which means "changes pending"), and a hint when
an option of `reconcile` itself comes after the command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconcile", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"COLUMNS": "200", "PATH": ""},
        check=False,
    )


@pytest.mark.parametrize("option", ["-v", "--verbose", "--debug"])
def test_a_root_option_after_the_command_says_where_it_goes(tmp_path: Path, option: str) -> None:
    done = run("validate", "desired_state", option, cwd=tmp_path)
    assert done.returncode == 1
    assert f"No such option: {option}" in done.stderr
    assert f"({option} goes before the command: reconcile {option} validate ...)" in done.stderr


def test_another_unknown_option_gets_no_such_hint(tmp_path: Path) -> None:
    done = run("validate", "desired_state", "--bogus", cwd=tmp_path)
    assert done.returncode == 1
    assert "No such option: --bogus" in done.stderr
    assert "goes before the command" not in done.stderr
