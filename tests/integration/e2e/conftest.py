"""End-to-end helpers: run the real `reconcile` command against the emulator over HTTP.

Each run is a subprocess in a temporary working directory, so `.reconcile/` (audit log,
lock) lands there and the command sees no terminal, exactly like a CI job.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningEmulator

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "desired_state"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Workspace:
    """A working directory holding a copy of the example desired state."""

    root: Path
    emulator: RunningEmulator

    @property
    def desired(self) -> Path:
        return self.root / "desired_state"

    @property
    def audit(self) -> list[dict[str, Any]]:
        path = self.root / ".reconcile" / "audit.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def run(self, *args: str, env: dict[str, str] | None = None) -> Run:
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith(("RECONCILE_", "TEAMVIEWER_"))
        }
        environ.update(
            RECONCILE_TARGET=self.emulator.url,
            TEAMVIEWER_TOKEN=self.emulator.token,
            COLUMNS="200",
        )
        environ.update(env or {})
        done = subprocess.run(
            [sys.executable, "-m", "reconcile", *args],
            cwd=self.root,
            env=environ,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def plan_json(self) -> dict[str, Any]:
        result = self.run("plan", "desired_state", "--format", "json")
        assert result.code == 0, result.stderr
        data: dict[str, Any] = result.json()
        return data

    def write(self, relative: str, text: str) -> None:
        path = self.desired / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def writes(self) -> int:
        """Write requests the emulator received (POST/PUT/PATCH/DELETE on SCIM paths)."""
        log = self.emulator.control.requests()
        return sum(
            count
            for method, count in log["by_method"].items()
            if method in {"POST", "PUT", "PATCH", "DELETE"}
        )


@pytest.fixture
def workspace(tmp_path: Path, emulator: RunningEmulator) -> Workspace:
    shutil.copytree(EXAMPLE, tmp_path / "desired_state")
    return Workspace(root=tmp_path, emulator=emulator)


@pytest.fixture
def demo(workspace: Workspace) -> Workspace:
    """The example desired state against the demo tenant (every kind of change)."""
    workspace.emulator.control.seed_demo()
    workspace.emulator.control.clear_requests()
    return workspace


def users_by_email(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["userName"].casefold(): u for u in state["users"]}


def groups_by_name(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["displayName"]: g for g in state["groups"]}


WithoutRobin = Callable[[Workspace], None]


def drop_robin(ws: Workspace) -> None:
    """Remove the one user whose address belongs to a foreign account."""
    for path in ws.desired.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if "robin.hill" not in text:
            continue
        lines = text.splitlines(keepends=True)
        kept: list[str] = []
        skip = False
        for line in lines:
            if "email: robin.hill@example.test" in line:
                skip = True
                continue
            if skip and line.startswith("    "):
                continue
            skip = False
            if "robin.hill@example.test" in line:
                continue
            kept.append(line)
        path.write_text("".join(kept), encoding="utf-8")
