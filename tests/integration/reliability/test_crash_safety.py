"""Issue 8 item 1: SIGKILL `apply` mid-run, 20 times in a row, and lose nothing.

Each round flips the desired state between two variants (renames, moved members,
suspensions, a group rename), starts `reconcile apply` as a real process against an
emulator served by uvicorn with some latency, and kills it with SIGKILL once the emulator
has seen a random number of requests (seeded, so a failure is reproducible). Then a final
apply runs to completion. Rules: R4 (no user deleted), R1/R17 (no user created twice),
R22 (the plan is empty afterwards), and every audit line stays valid JSON.
"""

from __future__ import annotations

import random
import signal
from pathlib import Path
from typing import Any

from tests.conftest import run_emulator
from tests.integration.reliability.conftest import (
    audit_lines,
    email,
    finish,
    make_workspace,
    start,
    wait_for_requests,
    write_tenant,
)

KILLS = 20
SEED = 8  # issue 8
USERS = 30
GROUPS = 5


def _check_invariants(state: dict[str, Any], seen_ids: set[str]) -> None:
    emails = [u["userName"].casefold() for u in state["users"]]
    assert len(emails) == len(set(emails)), "a user was created twice"
    assert set(emails) <= {email(n) for n in range(USERS)}
    ids = {u["id"] for u in state["users"]}
    assert seen_ids <= ids, f"users deleted: {sorted(seen_ids - ids)}"  # R4
    seen_ids.update(ids)


def test_twenty_sigkills_mid_apply_lose_nothing_and_converge(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    kills = completed = 0
    with run_emulator() as emu:
        emu.control.set_faults(latency_ms=25.0, jitter_ms=25.0)
        ws = make_workspace(tmp_path, emu, users=USERS, groups=GROUPS)
        seen_ids: set[str] = set()
        round_no = 0
        # A round whose apply ends before its kill point does not count: 20 real kills.
        while kills < KILLS:
            assert round_no < 3 * KILLS, f"only {kills} kills in {round_no} rounds"
            write_tenant(ws, users=USERS, groups=GROUPS, variant=round_no % 2)
            round_no += 1
            emu.control.clear_requests()
            kill_after = rng.randint(1, 18)  # a fresh round needs 37 requests, a flip 19
            proc = start(ws, "apply", "desired_state", "--auto-approve")
            if wait_for_requests(proc, emu, kill_after):
                proc.send_signal(signal.SIGKILL)
                kills += 1
            else:
                completed += 1
            run = finish(proc)
            assert run.code in {0, -signal.SIGKILL}, run.stderr
            assert "Traceback" not in run.stderr
            _check_invariants(emu.control.state(), seen_ids)
            audit_lines(ws)  # every line parses

        emu.control.set_faults(latency_ms=0.0, jitter_ms=0.0)
        final = ws.run("apply", "desired_state", "--auto-approve")
        assert final.code == 0, final.stdout + final.stderr
        assert ws.plan_json()["operations"] == []  # R22

        state = emu.control.state()
        _check_invariants(state, seen_ids)
        variant = (round_no - 1) % 2
        users = {u["userName"]: u for u in state["users"]}
        assert sorted(users) == [email(n) for n in range(USERS)]
        for n in range(USERS):
            user = users[email(n)]
            suffix = " B" if variant and n % 3 == 0 else ""
            assert user["displayName"] == f"User {n:03d}{suffix}"
            assert user["active"] is not (variant == 1 and n % 10 == 9)
        by_id = {u["id"]: u["userName"] for u in state["users"]}
        groups = {g["displayName"]: {by_id[m] for m in g["members"]} for g in state["groups"]}
        assert len(groups) == GROUPS
        events = audit_lines(ws)
        assert events, "the audit log is empty"
        assert all(e["success"] for e in events if e["run_id"] == events[-1]["run_id"])
    assert kills == KILLS
