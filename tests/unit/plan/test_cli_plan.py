"""`reconcile plan` and `reconcile drift` through the command line, on snapshots (--live).

No service is contacted: the live state comes from a snapshot file, as on a pull request
from a fork. (The end-to-end runs against the emulator live under tests/integration.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.live.model import Live
from reconcile.live.snapshot import write_snapshot
from reconcile.plan.wire import plan_from_json
from tests.unit.plan.builders import lg, live, lu

TARGET = "https://scim.example.test/scim/v2"

TENANT = """\
tenant:
  manage_groups: true
  unmanaged_users: ignore
  enabled: true
  safety: {max_deactivations: 10, max_deactivation_percent: 20, max_group_deletions: 3}
"""
USERS = """\
users:
  - email: ann@example.test
    first_name: Ann
    last_name: Lee
  - email: bob@example.test
    first_name: Bob
    last_name: Stone
"""
GROUPS = """\
groups:
  eng:
    name: Engineering
    members: [ann@example.test, bob@example.test]
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "desired_state"
    folder.mkdir()
    (folder / "tenant.yaml").write_text(TENANT)
    (folder / "users.yaml").write_text(USERS)
    (folder / "groups.yaml").write_text(GROUPS)
    return folder


def snapshot(tmp_path: Path, state: Live, name: str = "live.json") -> Path:
    path = tmp_path / name
    write_snapshot(state, path, target_label=TARGET)
    return path


def in_sync() -> Live:
    return live(
        [lu("u1", "ann@example.test", "Ann Lee"), lu("u2", "bob@example.test", "Bob Stone")],
        [lg("g1", "Engineering", ["u1", "u2"])],
    )


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_plan_json_and_out_file_are_the_same_contract(repo: Path, tmp_path: Path) -> None:
    state = live([lu("u1", "ann@example.test", "Ann Lee")], [lg("g1", "Engineering", ["u1"])])
    out = tmp_path / "plan.json"
    code, stdout, _ = run(
        "plan", str(repo), "--live", str(snapshot(tmp_path, state)), "--format", "json",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0
    assert stdout == out.read_text()
    saved = plan_from_json(out.read_text())
    assert saved.target == TARGET  # the snapshot's target: `apply --plan` there accepts it
    assert [op.action.value for op in saved.operations] == ["create_user", "update_group"]
    assert json.loads(stdout)["summary"]["create_user"] == 1


def test_plan_detailed_exitcode(repo: Path, tmp_path: Path) -> None:
    changed = snapshot(tmp_path, live(), "empty.json")
    assert run("plan", str(repo), "--live", str(changed))[0] == 0
    assert run("plan", str(repo), "--live", str(changed), "--detailed-exitcode")[0] == 2
    clean = snapshot(tmp_path, in_sync(), "clean.json")
    code, stdout, _ = run("plan", str(repo), "--live", str(clean), "--detailed-exitcode")
    assert code == 0
    assert "No changes." in stdout
    assert stdout.rstrip().endswith("Plan: 0 to create, 0 to update, 0 to deactivate, 0 to delete.")


def test_plan_markdown(repo: Path, tmp_path: Path) -> None:
    code, stdout, _ = run(
        "plan", str(repo), "--live", str(snapshot(tmp_path, live())), "--format", "markdown"
    )
    assert code == 0
    assert stdout.startswith("### reconcile plan")
    assert "<details><summary>Phase 1: Create users (2)</summary>" in stdout


def test_r7_ambiguity_blocks_the_plan_with_exit_1(repo: Path, tmp_path: Path) -> None:
    state = live([], [lg("g1", "Engineering"), lg("g2", "Engineering")])
    out = tmp_path / "plan.json"
    code, stdout, stderr = run(
        "plan", str(repo), "--live", str(snapshot(tmp_path, state)), "--out", str(out)
    )
    assert code == 1
    assert stdout == ""
    assert "groups.yaml:" in stderr  # where, like a validation error
    assert "g1" in stderr
    assert "g2" in stderr
    assert "nothing was planned" in stderr
    assert not out.exists()


def test_one_blocking_problem_is_counted_in_the_singular(repo: Path, tmp_path: Path) -> None:
    state = live([], [lg("g1", "Engineering"), lg("g2", "Engineering")])
    code, _, stderr = run("plan", str(repo), "--live", str(snapshot(tmp_path, state)))
    assert code == 1
    assert "1 problem blocks planning; nothing was planned" in stderr


def test_invalid_desired_state_exits_1_before_reading_live(repo: Path, tmp_path: Path) -> None:
    (repo / "users.yaml").write_text(USERS + "    nickname: Bobby\n")
    code, _, stderr = run("plan", str(repo), "--live", str(tmp_path / "missing.json"))
    assert code == 1
    assert "users.yaml:" in stderr
    assert "missing.json" not in stderr


def test_drift_is_clean_when_live_matches(repo: Path, tmp_path: Path) -> None:
    code, stdout, _ = run("drift", str(repo), "--live", str(snapshot(tmp_path, in_sync())))
    assert code == 0
    assert "No drift" in stdout


def test_drift_reports_pending_changes_and_unmanaged_resources(repo: Path, tmp_path: Path) -> None:
    state = live(
        [
            lu("u1", "ann@example.test", "Ann Lee"),
            lu("u2", "bob@example.test", "Bobby"),
            lu("u3", "zed@example.test", "Zed"),
        ],
        [lg("g1", "Engineering", ["u1", "u2"]), lg("g9", "Board", ["u3"])],
    )
    path = snapshot(tmp_path, state)
    code, stdout, _ = run("drift", str(repo), "--live", str(path), "--format", "json")
    assert code == 2
    report = json.loads(stdout)
    assert report["drift"] is True
    assert list(report["pending"]) == ["update_user"]
    assert report["unmanaged_users"][0]["email"] == "zed@example.test"
    assert report["unmanaged_groups"][0]["name"] == "Board"
    code, text, _ = run("drift", str(repo), "--live", str(path))
    assert code == 2
    assert "Pending update_user (1):" in text
    assert "Unmanaged users (1):" in text
    assert text.rstrip().endswith(
        "Drift: 1 pending changes, 1 unmanaged users, 1 unmanaged groups."
    )
    code, markdown, _ = run("drift", str(repo), "--live", str(path), "--format", "markdown")
    assert code == 2
    assert "| unmanaged users | 1 |" in markdown


def test_plan_out_to_an_unwritable_place_fails_cleanly(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "plan.json"
    code, _, stderr = run(
        "plan", str(repo), "--live", str(snapshot(tmp_path, live())), "--out", str(out)
    )
    assert code == 1
    assert "check --out" in stderr
    assert not out.exists()
