"""Smoke runs of the loader and end-to-end benchmarks on a tiny tenant, so they cannot rot.

They time nothing that is asserted: they check that each script prints every figure it
promises, in its order, and reuses the tenant it generated.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks import e2e_bench, load_bench


def test_load_bench_prints_each_figure_and_the_ratio_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = load_bench.main(["--users", "200", "--repeat", "2", "--out", str(tmp_path)])
    lines = capsys.readouterr().out.splitlines()
    assert code in (0, 1)  # 1: over the goal, which a tiny tenant may well be
    assert lines[0].startswith("tenant: ")
    # 200 users make files far under the fast reader's threshold: all read exactly
    assert re.fullmatch(r"read by the fast reader: 0 of 3 files \(.+\)", lines[1])
    assert lines[2].startswith("helper process: no (")  # nothing large to share
    assert re.fullmatch(r"load_desired: best \d+\.\d\d s of 2 \(all: .+\)", lines[3])
    assert re.fullmatch(r"PyYAML CSafeLoader: best \d+\.\d\d s of 2 \(all: .+\)", lines[4])
    assert re.fullmatch(r"peak RSS: [\d,]+ MB", lines[5])
    ratio = re.fullmatch(
        r"ratio load_desired / CSafeLoader: (\d+\.\d+) \(goal <= 0\.15\)", lines[-1]
    )
    assert ratio is not None
    assert code == (0 if float(ratio.group(1)) <= 0.15 else 1)
    # The generated tenant is kept and reused by the next run.
    stamp = (tmp_path / "manifest.json").stat().st_mtime_ns
    load_bench.main(["--users", "200", "--repeat", "1", "--out", str(tmp_path)])
    assert (tmp_path / "manifest.json").stat().st_mtime_ns == stamp


def test_e2e_bench_measures_a_real_plan_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = e2e_bench.main(["--users", "200", "--repeat", "1", "--out", str(tmp_path)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0, lines
    assert re.fullmatch(r"plan JSON: \d+\.\d MB", lines[0])
    assert re.fullmatch(r"wall time: best \d+\.\d\d s of 1 \(all: .+\)", lines[1])
    assert re.fullmatch(r"CPU time: best \d+\.\d\d s \(all: .+\)", lines[2])
    assert re.fullmatch(r"peak RSS: [\d,]+ MB \(highest of the runs\)", lines[3])
    assert lines[-1].endswith(": OK")
    # The plan it timed is the real JSON contract of the generated tenant.
    assert '"operations"' in (tmp_path / "plan.json").read_text(encoding="utf-8")
