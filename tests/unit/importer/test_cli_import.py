"""`reconcile import` refuses a PATH it cannot write into before it reads anything live."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app


def test_a_path_that_is_a_file_is_refused_before_reading_the_live_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the embedded target, were it opened, would live here
    monkeypatch.delenv("RECONCILE_TARGET", raising=False)
    (tmp_path / "notes").write_text("")
    result = CliRunner().invoke(app, ["import", "notes"])
    assert result.exit_code == 1
    assert "notes is a file, not a folder" in result.stderr
    assert "--output" in result.stderr
    assert not (tmp_path / ".reconcile").exists()  # nothing was fetched
