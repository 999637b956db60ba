"""Issue 13 item 7: `reconcile -v` logs each SCIM request to stderr - method, path, status,
milliseconds, attempt - and never the token or a body; stdout keeps its format.

Real CLI runs (subprocesses) against the emulator over HTTP on 127.0.0.1, with a
recognisable token, as in tests/integration/reliability/test_secrets.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconcile.emulator.config import READ, WRITE
from tests.conftest import TOKENS, RunningEmulator
from tests.integration.e2e.conftest import Run, Workspace
from tests.integration.reliability.conftest import make_workspace

CANARY = "tok-SECRET-logcanary-5678"
NEEDLES = (CANARY, "SECRET-logcanary", "logcanary-5678", "Bearer")
# Both runs judge expiries at one time, so that their JSON plans can be compared whole.
NOW = ("--now", "2026-12-01T00:00:00Z")
REQUEST_LINE = re.compile(
    r"DEBUG reconcile\.live\.session: (GET|POST|PATCH|DELETE) (/\S+) -> (\d{3}) "
    r"in \d+ ms \(attempt (\d+)\)$",
    re.MULTILINE,
)


def _no_secret(result: Run) -> None:
    for needle in NEEDLES:
        assert needle not in result.stdout
        assert needle not in result.stderr


def test_verbose_plan_logs_every_request_to_stderr_and_keeps_json_on_stdout(
    tmp_path: Path, emulator_factory: Callable[..., Any]
) -> None:
    emu: RunningEmulator = emulator_factory(tokens={**TOKENS, CANARY: frozenset({READ, WRITE})})
    ws: Workspace = make_workspace(tmp_path / "work", emu, users=6, groups=2)
    env = {"TEAMVIEWER_TOKEN": CANARY}

    quiet = ws.run("plan", "desired_state", "--format", "json", *NOW, env=env)
    assert quiet.code == 0, quiet.stderr
    assert not REQUEST_LINE.search(quiet.stderr)  # nothing logged unless asked

    loud = ws.run("-v", "plan", "desired_state", "--format", "json", *NOW, env=env)
    assert loud.code == 0, loud.stderr
    assert json.loads(loud.stdout) == json.loads(quiet.stdout)  # stdout untouched
    lines = REQUEST_LINE.findall(loud.stderr)
    assert ("GET", "/Users?startIndex=1&count=1000", "200", "1") in lines
    assert ("GET", "/Groups?startIndex=1&count=1000", "200", "1") in lines
    _no_secret(quiet)
    _no_secret(loud)


def test_log_level_from_the_environment_shows_writes_without_bodies(
    tmp_path: Path, emulator_factory: Callable[..., Any]
) -> None:
    emu: RunningEmulator = emulator_factory(tokens={**TOKENS, CANARY: frozenset({READ, WRITE})})
    ws: Workspace = make_workspace(tmp_path / "work", emu, users=6, groups=2)
    env = {"TEAMVIEWER_TOKEN": CANARY, "RECONCILE_LOG_LEVEL": "DEBUG"}

    result = ws.run("-vv", "apply", "desired_state", "--auto-approve", env=env)
    assert result.code == 0, result.stderr
    methods = [method for method, *_ in REQUEST_LINE.findall(result.stderr)]
    assert "POST" in methods  # the users and groups it created
    # Requests are logged, their bodies are not: no e-mail address reaches a log line
    # (one could only through a look-up's query; every create here was answered). The
    # progress lines of the apply name users, and are not log lines.
    logged = [line for line in result.stderr.splitlines() if " DEBUG " in line or " INFO " in line]
    assert any("httpx:" in line for line in logged)  # -vv adds the HTTP library's lines
    assert len(logged) >= len(methods)
    assert not [line for line in logged if "@" in line]
    _no_secret(result)


def test_an_unknown_log_level_is_a_clear_error(
    tmp_path: Path, emulator_factory: Callable[..., Any]
) -> None:
    emu: RunningEmulator = emulator_factory()
    ws: Workspace = make_workspace(tmp_path / "work", emu, users=2, groups=1)
    result = ws.run("plan", "desired_state", env={"RECONCILE_LOG_LEVEL": "chatty"})
    assert result.code == 1
    assert "RECONCILE_LOG_LEVEL" in result.stderr
    assert "DEBUG" in result.stderr
