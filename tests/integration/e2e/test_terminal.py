"""`apply` on a terminal: it asks, and only a yes applies (issue 6 item 1)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

from tests.integration.e2e.conftest import Workspace, drop_robin


def _apply_on_a_terminal(ws: Workspace, answer: str) -> tuple[int, str]:
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECONCILE_", "TEAMVIEWER_"))}
    env.update(RECONCILE_TARGET=ws.emulator.url, TEAMVIEWER_TOKEN=ws.emulator.token)
    process = subprocess.Popen(
        [sys.executable, "-m", "reconcile", "apply", "desired_state"],
        cwd=ws.root,
        env=env,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        seen += chunk
        if not answered and b"[y/N]" in seen:
            os.write(controller, answer.encode() + b"\n")
            answered = True
    os.close(controller)
    code = process.wait(timeout=60)
    return code, seen.decode(errors="replace")


def test_no_at_the_prompt_changes_nothing(demo: Workspace) -> None:
    code, screen = _apply_on_a_terminal(demo, "n")
    assert code == 1
    assert "nothing was changed" in screen
    assert demo.writes() == 0


def test_yes_at_the_prompt_applies(demo: Workspace) -> None:
    drop_robin(demo)
    code, screen = _apply_on_a_terminal(demo, "y")
    assert code == 0, screen
    assert "Apply finished" in screen
    assert demo.writes() > 0
    assert demo.plan_json()["operations"] == []
