"""`reconcile report` through the command line, on a snapshot (--live): no service."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.live.snapshot import write_snapshot
from tests.unit.plan.builders import lg, live, lu
from tests.unit.report.gitrepo import GitRepo

USERS = "users:\n  - email: ann@example.test\n    display_name: Ann Lee\n"
GROUPS = "groups:\n  eng:\n    name: Engineering\n    members: [ann@example.test]\n"


def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "live.json"
    state = live([lu("u1", "ann@example.test", "Ann Lee")], [lg("g1", "Engineering", ["u1"])])
    write_snapshot(state, path, target_label="https://scim.example.test/scim/v2")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["report", *args])
    return result.exit_code, result.stdout, result.stderr


def test_csv_names_the_granting_commit_of_a_hand_built_repository(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "access")
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", GROUPS)
    granted = repo.commit("Grant Ann engineering (#12)")
    out = tmp_path / "review.csv"
    code, _, err = run(str(repo.root / "ds"), "--live", str(snapshot(tmp_path)),
                       "--since", "2026-01-01", "--out", str(out))  # fmt: skip
    assert code == 0, err
    (row,) = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))
    assert (row["email"], row["group"], row["commit"], row["pr"]) == (
        "ann@example.test", "eng", granted, "12",
    )  # fmt: skip
    assert "wrote the report" in err


def test_outside_git_the_report_says_there_is_no_history(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "all.yaml").write_text(USERS + GROUPS)
    code, out, _ = run(str(folder), "--live", str(snapshot(tmp_path)), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["history"]["available"] is False
    assert "not inside a git repository" in doc["history"]["note"]
    assert doc["memberships"][0]["since"] is None


def test_a_since_that_is_not_a_date_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "all.yaml").write_text(USERS + GROUPS)
    code, _, err = run(str(folder), "--live", str(snapshot(tmp_path)), "--since", "last week")
    assert code == 1
    assert "--since 'last week' is not a date" in err
    assert "Traceback" not in err
