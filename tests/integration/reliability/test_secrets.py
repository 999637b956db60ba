"""Issue 8 item 6: the token never appears in any output, file, plan, snapshot or audit line.

Every command runs with a recognisable token against an emulator that accepts it,
successful and failing invocations alike, with and without --debug (which prints
tracebacks). Then every byte the commands printed or left in the working directory is
searched for the token and for its distinctive middle part.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconcile.emulator.config import READ, WRITE
from tests.conftest import TOKENS, RunningEmulator
from tests.integration.e2e.conftest import Run, Workspace
from tests.integration.reliability.conftest import make_workspace

CANARY = "tok-SECRET-canary-1234"
NEEDLES = (CANARY, "SECRET-canary", "canary-1234")


def test_no_command_leaks_the_token_anywhere(
    tmp_path: Path, emulator_factory: Callable[..., Any]
) -> None:
    emu: RunningEmulator = emulator_factory(tokens={**TOKENS, CANARY: frozenset({READ, WRITE})})
    ws: Workspace = make_workspace(tmp_path / "work", emu, users=6, groups=2)
    # Someone not declared, so that `import` has a user and a group to write.
    emu.control.seed(
        users=[{"userName": "someone.else@example.test", "displayName": "Someone Else"}],
        groups=[{"displayName": "Elsewhere", "members": ["someone.else@example.test"]}],
    )
    (ws.root / "token.txt").write_text(CANARY + "\n", encoding="utf-8")
    (ws.root / "wrong-token.txt").write_text(CANARY + "-revoked\n", encoding="utf-8")
    broken = ws.root / "broken_state"
    broken.mkdir()
    (broken / "users.yaml").write_text("users:\n  - {email: nope, bad_key: 1}\n", "utf-8")

    good = {"TEAMVIEWER_TOKEN": CANARY}
    wrong = {"TEAMVIEWER_TOKEN": CANARY + "-revoked"}
    remote = {"TEAMVIEWER_TOKEN": CANARY, "RECONCILE_TARGET": "http://scim.example.test/scim/v2"}
    runs: list[tuple[tuple[str, ...], Run]] = []

    def run(*args: str, env: dict[str, str], code: int | None = None) -> None:
        result = ws.run(*args, env=env)
        runs.append((args, result))
        if code is not None:
            assert result.code == code, (args, result.stdout, result.stderr)

    # Successful commands; --debug on some (it must not change what is printed about it).
    run("validate", "desired_state", env=good, code=0)
    run("schema", env=good, code=0)
    run("snapshot", "--out", "snap.json", env=good, code=0)
    for fmt in ("text", "markdown", "json"):
        run("plan", "desired_state", "--format", fmt, env=good, code=0)
    run("--debug", "plan", "desired_state", "--out", "plan.json", env=good, code=0)
    run("plan", "desired_state", "--format", "markdown", "--out", "plan.md", env=good, code=0)
    run("plan", "desired_state", "--live", "snap.json", env={}, code=0)
    run("--debug", "drift", "desired_state", env=good)
    run("drift", "desired_state", "--live", "snap.json", env={})
    run(
        "--debug",
        "apply",
        "desired_state",
        "--plan",
        "plan.json",
        "--auto-approve",
        env=good,
        code=0,
    )
    users_yaml = ws.desired / "users.yaml"
    users_yaml.write_text(users_yaml.read_text("utf-8").replace("User 001", "User One"), "utf-8")
    run("apply", "desired_state", "--auto-approve", "--token-file", "token.txt", env={}, code=0)
    run("import", "desired_state", "--groups", "--output", "imported.yaml", env=good, code=0)
    run("--debug", "snapshot", "--out", "after.json", "--token-file", "token.txt", env={}, code=0)
    # Failing commands, with --debug (tracebacks) and without.
    for command in (
        ("plan", "desired_state"),
        ("snapshot", "--out", "x.json"),
        ("drift", "desired_state"),
        ("import", "desired_state"),
        ("apply", "desired_state", "--auto-approve"),
    ):
        run("--debug", *command, env=wrong, code=1)
    run("plan", "desired_state", env=wrong, code=1)
    run("--debug", "plan", "desired_state", env=remote, code=1)
    run("--debug", "apply", "desired_state", "--auto-approve", env=remote, code=1)
    run("--debug", "validate", "broken_state", env=good, code=1)
    run("--debug", "plan", "broken_state", env=good, code=1)
    run("--debug", "snapshot", "--out", "y.json", "--token-file", "wrong-token.txt", env={}, code=1)
    run(
        "--debug",
        "apply",
        "desired_state",
        "--plan",
        "missing.json",
        "--auto-approve",
        env=good,
        code=1,
    )

    # The runs really did their work (the scan below would pass vacuously otherwise).
    assert emu.control.state()["users"], "nothing was applied"
    assert (ws.root / ".reconcile" / "audit.jsonl").stat().st_size > 0
    assert "someone.else@example.test" in (ws.root / "imported.yaml").read_text("utf-8")
    for name in ("snap.json", "plan.json", "plan.md", "after.json"):
        assert (ws.root / name).stat().st_size > 0, name
    assert any("Traceback" in r.stderr for a, r in runs if "--debug" in a and r.code == 1)

    for args, result in runs:
        for needle in NEEDLES:
            assert needle not in result.stdout, (args, "stdout")
            assert needle not in result.stderr, (args, "stderr")
    secret_files = {ws.root / "token.txt", ws.root / "wrong-token.txt"}
    scanned = 0
    for path in sorted(ws.root.rglob("*")):
        if not path.is_file() or path in secret_files:
            continue
        data = path.read_bytes()
        scanned += 1
        for needle in NEEDLES:
            assert needle.encode() not in data, path.relative_to(ws.root)
    assert scanned >= 10
