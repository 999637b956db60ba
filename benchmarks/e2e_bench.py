"""End-to-end benchmark: `reconcile plan DESIRED --live SNAPSHOT --format json` of a
generated tenant, measured from outside by `/usr/bin/time -v` (budget: <= 6 s wall,
<= 1 GB peak RSS at 100k users).

    python benchmarks/e2e_bench.py [--users 100000] [--repeat 3] [--out DIR]

The tenant (desired-state folder, by `benchmarks/generate.py`) and a live snapshot of the
same company (the generator's live side, written by `reconcile.live.snapshot`) go under
`--out` (default benchmarks/out/e2e-<users>) and are reused when already there. Each run
is a fresh process: interpreter start, imports, load, snapshot read, plan and JSON
rendering all count. The JSON goes to a file under `--out` (its size is printed).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import Spec, build, write
from benchmarks.tenant_gen import TenantSize, generate
from reconcile.live.snapshot import write_snapshot

BUDGET_SECONDS = 6.0
BUDGET_RSS_MB = 1024.0
TIME = "/usr/bin/time"


def prepare(users: int, out: Path) -> tuple[Path, Path]:
    """(desired folder, snapshot file) of the generated tenant, made when missing."""
    desired, snapshot = out / "desired", out / "snapshot.json"
    manifest = out / "manifest.json"
    if manifest.exists() and snapshot.exists():
        spec = json.loads(manifest.read_text(encoding="utf-8")).get("spec", {})
        if spec.get("users") == users:
            return desired, snapshot
    spec = Spec(users=users)
    write(build(spec), out)
    # The same live side `build` seeds the emulator with (same size, same seed).
    size = TenantSize(
        users=spec.users,
        groups=spec.group_count,
        memberships=spec.users * spec.memberships_per_user,
        drift=spec.drift,
    )
    _, live = generate(size, seed=spec.seed)
    write_snapshot(live, snapshot, target_label="generated")
    return desired, snapshot


def measure(desired: Path, snapshot: Path, result: Path) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, exit code) of one `reconcile plan`."""
    command = [
        TIME,
        "-v",
        sys.executable,
        "-m",
        "reconcile",
        "plan",
        str(desired),
        "--live",
        str(snapshot),
        "--format",
        "json",
    ]
    with result.open("wb") as stdout:
        done = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, check=False)
    report = done.stderr.decode("utf-8", "replace")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", report)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    code = re.search(r"Exit status: (\d+)", report)
    cpu = re.findall(r"(?:User|System) time \(seconds\): (\S+)", report)
    if wall is None or rss is None or code is None or len(cpu) != 2:
        raise SystemExit(f"no figures from {TIME} -v:\n{report[-2000:]}")
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return seconds, sum(map(float, cpu)), int(rss.group(1)) / 1024, int(code.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best counts")
    parser.add_argument("--out", type=Path, default=None, help="where the tenant is written")
    args = parser.parse_args(argv)
    if not Path(TIME).exists():
        print(f"{TIME} is missing (Debian package 'time')")
        return 1
    out = args.out or Path(__file__).resolve().parent / "out" / f"e2e-{args.users}"
    desired, snapshot = prepare(args.users, out)
    result = out / "plan.json"
    runs = [measure(desired, snapshot, result) for _ in range(args.repeat)]
    failed = [code for *_, code in runs if code not in (0, 2)]
    if failed:
        print(f"reconcile plan exited {failed[0]}; see {result}")
        return 1
    walls = [wall for wall, *_ in runs]
    cpus = [cpu for _, cpu, _, _ in runs]
    peak = max(rss for *_, rss, _ in runs)
    print(f"plan JSON: {result.stat().st_size / 1e6:.1f} MB")
    print(f"wall time: best {min(walls):.2f} s of {args.repeat} (all: {_all(walls)})")
    # User + system time: what the run cost, less blurred by a busy shared machine.
    print(f"CPU time: best {min(cpus):.2f} s (all: {_all(cpus)})")
    print(f"peak RSS: {peak:,.0f} MB (highest of the runs)")
    ok = min(walls) <= BUDGET_SECONDS and peak <= BUDGET_RSS_MB
    print(
        f"budget (<= {BUDGET_SECONDS:.0f} s, <= {BUDGET_RSS_MB:,.0f} MB): {'OK' if ok else 'OVER'}"
    )
    return 0 if ok else 1


def _all(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


if __name__ == "__main__":
    raise SystemExit(main())
