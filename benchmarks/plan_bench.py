"""Planner benchmark: plan a generated tenant of 100,000 users, 10,000 groups and
1,000,000 memberships; print wall time and peak memory (budget: <= 3 s, <= 1 GB RSS).

    python benchmarks/plan_bench.py [--users N --groups N --memberships N --repeat N]

Generation is timed separately; only `plan()` counts against the budget. The two state
fingerprints are computed when each state is built (by the loader and the fetcher, here by
the generator), so they are timed and printed on their own line. Peak RSS is the
process maximum (it includes the generated inputs, which is what a real run holds too).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.tenant_gen import TenantSize, generate
from reconcile.fingerprint import desired_fingerprint, live_fingerprint
from reconcile.gcpause import cycle_collection_paused
from reconcile.plan import plan

BUDGET_SECONDS = 3.0
BUDGET_RSS_MB = 1024.0


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--memberships", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="plan this many times, report best")
    args = parser.parse_args(argv)

    size = TenantSize(users=args.users, groups=args.groups, memberships=args.memberships)
    started = time.perf_counter()
    desired, live = generate(size)
    generated = time.perf_counter() - started
    print(
        f"tenant: {len(desired.users):,} declared users, {len(desired.groups):,} groups, "
        f"{sum(len(g.members) for g in desired.groups.values()):,} memberships; "
        f"live: {len(live.users):,} users, {len(live.groups):,} groups "
        f"(generated in {generated:.2f} s)"
    )
    timings = []
    cpu = []
    result = None
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = plan(desired, live)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    assert result is not None
    best = min(timings)
    rss = peak_rss_mb()
    print(f"plan: {result.summary.line()} ({len(result.notices):,} notices)")
    runs = ", ".join(f"{t:.2f}" for t in timings)
    print(f"plan wall time: best {best:.2f} s of {args.repeat} (all: {runs})")
    # CPU time shows how much of the wall time was waiting for a busy, shared machine.
    print(f"plan CPU time: best {min(cpu):.2f} s")
    print(f"peak RSS: {rss:,.0f} MB")
    # Not part of plan(): each state hashes itself once when it is built (the loader and
    # the fetcher pay this). Shown so that the whole cost stays visible.
    started = time.perf_counter()
    live_fingerprint(live)
    live_fp = time.perf_counter() - started
    started = time.perf_counter()
    desired_fingerprint(desired)
    desired_fp = time.perf_counter() - started
    print(
        f"fingerprints, computed when each state is built (not in plan): "
        f"live {live_fp:.2f} s, desired {desired_fp:.2f} s"
    )
    ok = best <= BUDGET_SECONDS and rss <= BUDGET_RSS_MB
    print(
        f"budget (<= {BUDGET_SECONDS:.0f} s, <= {BUDGET_RSS_MB:,.0f} MB): {'OK' if ok else 'OVER'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    with cycle_collection_paused():  # as the command line runs (reconcile/cli/app.py)
        exit_code = main()
    raise SystemExit(exit_code)
