"""Issue 8 item 3: two `apply` processes at once in one working copy.

The lock is `.reconcile/apply.lock` (reconcile/lock.py): the second run refuses at once
with a message naming the holder, before it reads or writes anything, so the writes of
two runs can never interleave.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RunningEmulator
from tests.integration.reliability.conftest import (
    audit_lines,
    email,
    finish,
    live_emails,
    make_workspace,
    start,
    wait_for_requests,
)


def test_two_applies_started_together_one_runs_one_refuses(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    ws = make_workspace(tmp_path, emulator, users=20, groups=4)
    emulator.control.set_faults(latency_ms=100.0)  # the winner holds the lock for seconds
    procs = [start(ws, "apply", "desired_state", "--auto-approve") for _ in range(2)]
    runs = [finish(p) for p in procs]
    emulator.control.set_faults(latency_ms=0.0)
    codes = sorted(r.code for r in runs)
    assert codes == [0, 1], [r.stderr for r in runs]
    loser = next(r for r in runs if r.code == 1)
    assert "another apply is running" in loser.stderr
    assert "wait for it to finish" in loser.stderr
    assert "Traceback" not in loser.stdout + loser.stderr
    log = emulator.control.requests(limit=0)
    # Only the winner read and wrote: 2 listings, 20 user creates, 4 group creates.
    assert log["by_method"] == {"GET": 2, "POST": 24}, log["by_method"]
    assert live_emails(emulator.control.state()) == [email(n) for n in range(20)]
    assert len({e["run_id"] for e in audit_lines(ws)}) == 1
    assert ws.plan_json()["operations"] == []


def test_an_apply_started_mid_run_refuses_and_sends_nothing(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    ws = make_workspace(tmp_path, emulator, users=20, groups=4)
    emulator.control.set_faults(latency_ms=120.0)
    # One request at a time: about 3 s of writes still to go when the second one starts.
    first = start(ws, "apply", "desired_state", "--auto-approve", "--concurrency", "1")
    assert wait_for_requests(first, emulator, 4), "the first apply ended too soon"
    seen = emulator.control.requests(limit=0)["total"]
    second = ws.run("apply", "desired_state", "--auto-approve")
    assert first.poll() is None, "the first apply must still hold the lock"
    done = finish(first)
    emulator.control.set_faults(latency_ms=0.0)
    assert second.code == 1
    assert "another apply is running" in second.stderr
    assert f"process {first.pid}" in second.stderr  # names the holder
    assert done.code == 0, done.stderr
    log = emulator.control.requests(limit=0)
    assert seen >= 4
    assert log["by_method"] == {"GET": 2, "POST": 24}, log["by_method"]
    # The lock is released with the process: the next apply runs (and has nothing to do).
    again = ws.run("apply", "desired_state", "--auto-approve")
    assert again.code == 0, again.stderr
