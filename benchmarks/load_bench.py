"""Loader benchmark: `load_desired` of a generated tenant beside PyYAML's plain C load.

    python benchmarks/load_bench.py [--users 100000] [--repeat 3] [--out DIR]

Writes the tenant with `benchmarks/generate.py` (into `--out`, default
benchmarks/out/load-<users>; kept and reused when its manifest matches), then times in one
process, alternating, best of `--repeat` each:

- `load_desired(folder)`: strict YAML, positions, schema, cross-file rules, the `Desired`;
- `yaml.load(f, Loader=yaml.CSafeLoader)` of every file of the same folder: no
  validation, no positions, YAML 1.1 scalars (the reference, issue 18).

Both share the machine the same way, so their ratio is what to compare across runs (the
absolute times move with the load of a shared machine). One line per figure, the ratio last.
Goal: ratio <= 0.15. Where the loader forks a helper process (Linux, two CPUs, no other
thread: desired/parallel.py) it does so here too, as in the product; the line "helper
process" says whether it did.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from benchmarks.generate import Spec, build, write
from reconcile.desired.fast_reader import FAST_MIN_CHARS
from reconcile.desired.loader import YAML_SUFFIXES, load_desired
from reconcile.desired.parallel import may_fork
from reconcile.desired.rows import fast_rows
from reconcile.gcpause import cycle_collection_paused

GOAL_RATIO = 0.15


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def tenant(users: int, out: Path) -> Path:
    """The desired-state folder of a generated tenant of `users` users (made if missing)."""
    manifest = out / "manifest.json"
    if manifest.exists():
        spec = json.loads(manifest.read_text(encoding="utf-8")).get("spec", {})
        if spec.get("users") == users:
            return out / "desired"
    write(build(Spec(users=users)), out)
    return out / "desired"


def yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.name.endswith(YAML_SUFFIXES))


def plain_pyyaml(files: list[Path]) -> None:
    for path in files:
        with path.open(encoding="utf-8") as stream:
            yaml.load(stream, Loader=yaml.CSafeLoader)


def timed(action: object) -> float:
    assert callable(action)
    gc.collect()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _as_the_cli_loads(folder: Path) -> None:
    # Every command pauses the cycle collector at its entry (cli/app.py), so the loader
    # runs under that pause in the product; measure it the same way.
    with cycle_collection_paused():
        load_desired(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--out", type=Path, default=None, help="where the tenant is written")
    args = parser.parse_args(argv)
    if not getattr(yaml, "__with_libyaml__", False):
        print("PyYAML is installed without libyaml: no CSafeLoader to compare with")
        return 1
    out = args.out or Path(__file__).resolve().parent / "out" / f"load-{args.users}"
    folder = tenant(args.users, out)
    files = yaml_files(folder)
    size = sum(p.stat().st_size for p in files)
    result = load_desired(folder)  # also checks that the tenant is valid
    memberships = sum(len(g.members) for g in result.desired.groups.values())
    print(
        f"tenant: {len(result.desired.users):,} users, {len(result.desired.groups):,} groups, "
        f"{memberships:,} memberships; {size / 1e6:.1f} MB of YAML in {len(files)} files"
    )
    del result
    texts = [p.read_text(encoding="utf-8") for p in files]
    large = [t for t in texts if len(t) >= FAST_MIN_CHARS]
    fast = sum(fast_rows(t) is not None for t in large)
    helped = len(large) >= 2 and may_fork(sum(map(len, large)))
    del texts, large
    print(
        f"read by the fast reader: {fast} of {len(files)} files (the others, under "
        f"{FAST_MIN_CHARS // 1024} KiB or with something it leaves alone, by the exact reader)"
    )
    print(
        "helper process: yes, half of the fast path in a forked child"
        if helped
        else "helper process: no (all on one core: little to read, one CPU, or not Linux)"
    )
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.repeat):  # alternating: both see the same share of the machine
        ours.append(timed(lambda: _as_the_cli_loads(folder)))
        theirs.append(timed(lambda: plain_pyyaml(files)))
    ratio = min(ours) / min(theirs)
    print(f"load_desired: best {min(ours):.2f} s of {args.repeat} (all: {_all(ours)})")
    print(f"PyYAML CSafeLoader: best {min(theirs):.2f} s of {args.repeat} (all: {_all(theirs)})")
    print(f"peak RSS: {peak_rss_mb():,.0f} MB")
    print(f"ratio load_desired / CSafeLoader: {ratio:.3f} (goal <= {GOAL_RATIO})")
    return 0 if ratio <= GOAL_RATIO else 1


def _all(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


if __name__ == "__main__":
    raise SystemExit(main())
