"""Reliability helpers: a small generated tenant, background `reconcile` processes, checks.

Every command runs as a real subprocess (`python -m reconcile ...`) in a temporary working
directory against an emulator served by uvicorn on 127.0.0.1, through the e2e `Workspace`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import RunningEmulator
from tests.integration.e2e.conftest import Run, Workspace

TENANT_YAML = (
    "tenant:\n"
    "  manage_groups: true\n"
    "  unmanaged_users: ignore\n"
    "  safety: {max_deactivations: 1000, max_deactivation_percent: 100, "
    "max_group_deletions: 100}\n"
)


def email(n: int) -> str:
    return f"user.{n:03d}@example.test"


def tenant_files(*, users: int = 30, groups: int = 5, variant: int = 0) -> dict[str, str]:
    """A small desired state. `variant` 1 renames people, moves members, suspends a few
    and renames a group, so flipping between variants gives every apply real work."""
    lines = ["users:"]
    for n in range(users):
        name = f"User {n:03d}" + (" B" if variant and n % 3 == 0 else "")
        suspended = "true" if variant and n % 10 == 9 else "false"
        lines.append(f"  - {{email: {email(n)}, display_name: {name}, suspended: {suspended}}}")
    group_lines = ["groups:"]
    for g in range(groups):
        name = f"Team {g}" + (" renamed" if variant and g == groups - 1 else "")
        members = [email(n) for n in range(users) if (n + variant * (n % 2)) % groups == g]
        group_lines.append(f"  team{g}:")
        group_lines.append(f"    name: {name}")
        if variant and g == groups - 1:
            group_lines.append(f"    renamed_from: [Team {g}]")
        elif not variant and g == groups - 1:
            group_lines.append(f"    renamed_from: [Team {g} renamed]")
        group_lines.append(f"    members: [{', '.join(members)}]")
    return {
        "tenant.yaml": TENANT_YAML,
        "users.yaml": "\n".join(lines) + "\n",
        "groups.yaml": "\n".join(group_lines) + "\n",
    }


def make_workspace(root: Path, emulator: RunningEmulator, **tenant: int) -> Workspace:
    ws = Workspace(root=root, emulator=emulator)
    write_tenant(ws, **tenant)
    return ws


def write_tenant(ws: Workspace, **tenant: int) -> None:
    ws.desired.mkdir(parents=True, exist_ok=True)
    for old in ws.desired.glob("*.yaml"):
        old.unlink()
    for name, text in tenant_files(**tenant).items():
        ws.write(name, text)


def environ(ws: Workspace, **extra: str) -> dict[str, str]:
    """The environment `Workspace.run` gives its commands (for background processes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECONCILE_", "TEAMVIEWER_"))}
    env.update(RECONCILE_TARGET=ws.emulator.url, TEAMVIEWER_TOKEN=ws.emulator.token, COLUMNS="200")
    env.update(extra)
    return env


def start(ws: Workspace, *args: str, **extra_env: str) -> subprocess.Popen[str]:
    """`reconcile ARGS` in the background, in the workspace, output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "reconcile", *args],
        cwd=ws.root,
        env=environ(ws, **extra_env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], *, timeout: float = 120) -> Run:
    out, err = proc.communicate(timeout=timeout)
    return Run(proc.returncode, out, err)


def wait_until(condition: Callable[[], bool], *, timeout: float, poll: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return condition()


def assert_clean_failure(run: Run, *needles: str) -> None:
    """Exit 1, a one-line `error:` naming the problem, never a Python traceback."""
    both = run.stdout + run.stderr
    assert run.code == 1, both
    assert "Traceback" not in both, both
    assert "error:" in run.stderr, both
    for needle in needles:
        assert needle in both, both


def audit_lines(ws: Workspace) -> list[dict[str, Any]]:
    """Every audit line parsed; a line that is not valid JSON fails the test."""
    path = ws.root / ".reconcile" / "audit.jsonl"
    if not path.exists():
        return []
    events = []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n")[:-1], 1):
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError as exc:  # pragma: no cover - the failure message
            raise AssertionError(f"audit line {number} is not JSON: {line!r}") from exc
    assert path.read_text(encoding="utf-8").endswith("\n") or path.stat().st_size == 0
    return events


def live_emails(state: dict[str, Any]) -> list[str]:
    return sorted(u["userName"].casefold() for u in state["users"])


def requests_seen(emulator: RunningEmulator) -> int:
    total: int = emulator.control.requests(limit=0)["total"]
    return total


def wait_for_requests(
    proc: subprocess.Popen[str], emulator: RunningEmulator, count: int, *, timeout: float = 60
) -> bool:
    """Wait until the emulator saw `count` requests (True) or the process ended (False)."""
    reached = wait_until(
        lambda: proc.poll() is not None or requests_seen(emulator) >= count,
        timeout=timeout,
        poll=0.02,  # the control API shares the GIL with the served emulator
    )
    assert reached, f"neither {count} requests nor the end of the process within {timeout}s"
    return proc.poll() is None
