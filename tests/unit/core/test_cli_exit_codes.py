"""Usage errors exit 1: exit 2 means "changes or drift pending" (DESIGN, Command line)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconcile", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--format", "yaml"),
        ("drift", "--no-such-option"),
        ("snapshot",),  # --out is required
        ("no-such-command",),
    ],
)
def test_a_usage_error_exits_1_never_2(args: tuple[str, ...]) -> None:
    done = _run(*args)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "Usage:" in done.stderr


def test_help_exits_0() -> None:
    done = _run("plan", "--help")
    assert done.returncode == 0
    assert "--detailed-exitcode" in done.stdout
