"""Smoke run of the benchmark scripts on a tiny tenant, so they cannot rot.

Speed is measured by `benchmarks/run.py`, never here: these tests check that the
generator is deterministic and well-formed and that one run produces every figure,
reaches the lower bound of requests and converges (R22). They time nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks import fetch_bench, run
from benchmarks.generate import Spec, build, write
from reconcile.desired.loader import load_desired


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.*"))}


def test_generator_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    spec = Spec(users=300, drift=0.05, seed=7)
    write(build(spec), tmp_path / "a")
    write(build(spec), tmp_path / "b")
    write(build(Spec(users=300, drift=0.05, seed=8)), tmp_path / "c")
    a, b, c = (_files(tmp_path / n) for n in "abc")
    assert a == b
    assert a.keys() == c.keys()
    assert a != c


def test_generated_tenant_loads_and_carries_every_kind_of_drift(tmp_path: Path) -> None:
    gen = write(build(Spec(users=400, drift=0.05, seed=3)), tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert all(count > 0 for count in manifest["drift"].values()), manifest["drift"]

    loaded = load_desired(tmp_path / "desired")
    assert len(loaded.desired.users) == manifest["desired"]["users"] == len(gen.desired.users)
    assert len(loaded.desired.groups) == manifest["desired"]["groups"] == 40
    memberships = sum(len(g.members) for g in loaded.desired.groups.values())
    assert memberships == manifest["desired"]["memberships"]
    # The desired state is split over several files (tenant, users, groups).
    assert len(loaded.files) >= 3

    seed = json.loads((tmp_path / "seed.json").read_text())
    names = {u["userName"] for u in seed["users"]}
    assert all(m in names for g in seed["groups"] for m in g["members"])
    assert manifest["live"]["users"] == len(seed["users"])


@pytest.mark.integration
def test_run_reports_every_figure_at_the_lower_bound_and_converges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run.main(
        [
            "--sizes",
            "120",
            "--baseline-sizes",
            "120",
            "--latency-ms",
            "0",
            "--rate-limit",
            "0",
            "--page-latency-ms",
            "50",
            "--drift",
            "0.05",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    report = json.loads((tmp_path / "results.json").read_text())
    assert report["machine"]["cpus"] >= 1
    (row,) = report["results"]
    assert row["users"] == 120
    for section, fields in {
        "fetch": ("seconds", "requests", "pages_bound", "seconds_bound"),
        "fetch_paged": ("seconds", "requests", "page_latency_s", "seconds_bound"),
        "plan": ("seconds", "peak_rss_mb", "operations", "write_bound"),
        "apply": ("seconds", "requests", "seconds_bound", "failed"),
        "replan": ("operations",),
        "baseline": ("seconds", "requests", "operations_left"),
    }.items():
        assert all(name in row[section] for name in fields), (section, row[section])
    assert row["load_s"] > 0
    assert row["plan"]["peak_rss_mb"] > 0
    # A tenant with drift has work to do, done in exactly the fewest requests (R18).
    assert row["plan"]["operations"] > 0
    assert row["fetch"]["requests"] == row["fetch"]["pages_bound"] == 2
    assert row["fetch_paged"]["requests"] == 2
    assert row["fetch_paged"]["same_state"] is True
    # One round of two pages (users, groups) at 50 ms each: never faster than the latency.
    assert row["fetch_paged"]["seconds"] >= row["fetch_paged"]["seconds_bound"] == 0.05
    assert row["apply"]["requests"] == row["plan"]["write_bound"]
    assert row["apply"]["failed"] == 0
    assert row["requests_total"] == row["requests_bound"]
    # R22: after the apply the plan is empty; the baseline reached the same state.
    assert row["replan"]["operations"] == 0
    assert row["baseline"]["operations_left"] == 0
    # The connector-style strategy looks up every declared user: more requests.
    assert row["baseline"]["requests"] > row["requests_total"]
    assert row["baseline"]["by_kind"]["lookup user"] == row["tenant"]["desired"]["users"]
    out = capsys.readouterr().out
    assert "| users / groups / memberships |" in out
    users = row["tenant"]["desired"]["users"]
    assert out.split("\n")[2].startswith(f"| {users} / ")


@pytest.mark.integration
def test_fetch_bench_reads_the_tenant_in_one_request_per_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = fetch_bench.main(
        [
            "--users",
            "2500",
            "--repeat",
            "2",
            "--latency-ms",
            "0",
            "--page-latency-ms",
            "20",
            "--tenant",
            str(tmp_path / "t"),
        ]
    )
    assert code == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("fetch ")]
    assert len(lines) == 2
    for line in lines:
        found = re.search(r"(\d+) requests for (\d+) pages", line)
        assert found, line
        # 2,500 declared users (and the drift's extra live ones): 3 user pages, 1 group page.
        assert found.group(1) == found.group(2) == "4"
        bound = re.search(r"bound ([\d.]+) s", line)
        assert bound, line
        assert float(bound.group(1)) == pytest.approx(0.02)
    # The tenant is generated once and reused.
    assert (tmp_path / "t" / "manifest.json").exists()
