"""The action's "Select tenants" script, run by bash over a real git repository made from
the three-tenant fixture, as GitHub runs it on a pull request, a push and a schedule."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "tenants_repo"


def _script() -> str:
    steps = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    [step] = [s for s in steps if s.get("id") == "tenants"]
    script: str = step["run"]
    return script


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.test"}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose last commit changes acme and initech; returns (path, base sha)."""
    path = tmp_path / "repo"
    shutil.copytree(FIXTURE, path)
    _git(path, "init", "--quiet", "--initial-branch=main")
    _git(path, "add", "-A")
    _git(path, "commit", "--quiet", "-m", "base")
    base = _git(path, "rev-parse", "HEAD")
    (path / "tenants" / "acme" / "access.yaml").write_text("users: []\n", encoding="utf-8")
    with (path / "tenants" / "initech" / "tenant.yaml").open("a", encoding="utf-8") as file:
        file.write("# reviewed\n")
    _git(path, "commit", "--quiet", "-am", "change acme and initech")
    _git(path, "remote", "add", "origin", str(path))
    return path, base


def _run(repo: Path, tmp_path: Path, **env: str) -> list[str]:
    output = tmp_path / "github_output"
    output.write_text("")
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    bin_dir = str(Path(sys.executable).parent)  # the `reconcile` installed with the tests
    environ = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    environ |= {"GITHUB_OUTPUT": str(output), "OUT": str(out), "ALWAYS_PATHS": ""} | env
    subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", _script()],
        cwd=repo,
        env=environ,
        check=True,
        capture_output=True,
    )
    [line] = [line for line in output.read_text().splitlines() if line.startswith("matrix=")]
    return [entry["name"] for entry in json.loads(line.removeprefix("matrix="))]


def test_a_pull_request_selects_the_tenants_its_merge_commit_changes(
    repo: tuple[Path, str], tmp_path: Path
) -> None:
    path, _ = repo
    assert _run(path, tmp_path, EVENT="pull_request") == ["acme", "initech"]


def test_a_change_under_an_always_path_selects_every_tenant(
    repo: tuple[Path, str], tmp_path: Path
) -> None:
    path, _ = repo
    names = _run(path, tmp_path, EVENT="pull_request", ALWAYS_PATHS="tenants/initech\n\n")
    assert names == ["acme", "globex", "initech"]


def test_a_push_selects_the_tenants_changed_since_before(
    repo: tuple[Path, str], tmp_path: Path
) -> None:
    path, base = repo
    assert _run(path, tmp_path, EVENT="push", BEFORE=base) == ["acme", "initech"]
    # A new branch (no `before`) and a schedule: every tenant.
    assert _run(path, tmp_path, EVENT="push", BEFORE="0" * 40) == ["acme", "globex", "initech"]
    assert _run(path, tmp_path, EVENT="schedule", BEFORE="") == ["acme", "globex", "initech"]
