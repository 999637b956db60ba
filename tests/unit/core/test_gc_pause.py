"""The cycle collector is paused once, for a whole command, at the command entry."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import reconcile.cli.desired_input as desired_input
from reconcile.cli import app
from reconcile.desired import load_desired

REPO = Path(__file__).resolve().parents[3]


def test_a_command_runs_with_the_collector_paused_and_restores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []

    def spy(path: Path, **kw: Any) -> Any:
        seen.append(gc.isenabled())
        return load_desired(path, **kw)

    monkeypatch.setattr(desired_input, "load_desired", spy)
    assert gc.isenabled()
    result = CliRunner().invoke(app, ["validate", str(REPO / "desired_state")])
    assert result.exit_code == 0, result.output
    assert seen == [False]
    assert gc.isenabled()


def test_the_library_leaves_the_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import reconcile.desired.loader as loader

    seen: list[bool] = []
    build = loader.build_desired

    def spy(collected: Any, users: Any) -> Any:
        seen.append(gc.isenabled())
        return build(collected, users)

    monkeypatch.setattr(loader, "build_desired", spy)
    load_desired(REPO / "desired_state")
    assert seen == [True]
