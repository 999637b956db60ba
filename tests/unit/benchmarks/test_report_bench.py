"""Smoke run of benchmarks/report_bench.py on a tiny repository, so it cannot rot.

It times nothing here; it checks that one run builds the history, that the walk agrees
with the loader on the last commit (the script asserts it), and that it prints every figure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import report_bench


def test_report_benchmark_runs_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report_bench.main(["--users", "200", "--commits", "12", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "200 users, 12 commits" in printed
    assert "history walk:" in printed
    assert "(12 commits," in printed
    assert "budget:" in printed
    assert (tmp_path / "report.html").stat().st_size > 0
