"""`reconcile validate`, `schema` and `version` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile import __version__
from reconcile.cli import app

REPO = Path(__file__).parents[3]
INVALID = REPO / "tests" / "fixtures" / "invalid"


def test_validate_example_prints_a_summary_and_exits_0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("TEAMVIEWER_SSO_CUSTOMER_ID", raising=False)
    result = CliRunner().invoke(app, ["validate"])  # default: desired_state/
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "desired_state: valid: 21 users (19 bound to a group), "
        "6 groups (1 empty, 1 marked deleted)\n"
    )


def test_validate_reports_every_error_on_stderr_and_exits_1(tmp_path: Path) -> None:
    for name in ("unknown_key.yaml", "member_undeclared.yaml", "safety_negative.yaml"):
        (tmp_path / name).write_bytes((INVALID / name).read_bytes())
    result = CliRunner().invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{tmp_path}/member_undeclared.yaml:9:9: member")
    assert lines[1].startswith(f"{tmp_path}/safety_negative.yaml:4:24: 'tenant.safety.")
    # The two fixtures both declare jane.doe: reported even though the second entry has
    # an error of its own (every error of a run at once).
    assert lines[2].startswith(f"{tmp_path}/unknown_key.yaml:3:12: user 'jane.doe@")
    assert "declared twice" in lines[2]
    assert lines[3].startswith(f"{tmp_path}/unknown_key.yaml:5:5: unknown key 'frist_name'")
    assert lines[4] == f"4 errors in {tmp_path}"
    assert result.stdout == ""


def test_validate_prints_warnings_but_succeeds() -> None:
    result = CliRunner().invoke(app, ["validate", str(REPO / "tests/fixtures/valid/full")])
    assert result.exit_code == 0
    assert ": warning: group names 'Team One'" in result.stderr


@pytest.mark.parametrize("fixture", sorted(INVALID.iterdir()), ids=lambda p: p.name)
def test_no_traceback_for_any_invalid_fixture(fixture: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(fixture)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_schema_and_version_commands() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "reconcile desired state"
    result = CliRunner().invoke(app, ["version"])
    assert result.stdout.strip() == __version__


def test_python_dash_m_validate_in_a_subprocess() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconcile", "validate", str(INVALID / "password.yaml")],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 1
    assert "password.yaml:5:5: 'password' key: passwords never belong in git" in done.stderr
    assert "Traceback" not in done.stderr
