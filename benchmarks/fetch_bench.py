"""Live-fetch benchmark: read a generated tenant from the emulator with slow pages, several
times, and show where the time goes beside the latency bound.

    .venv/bin/python benchmarks/fetch_bench.py [--users 100000] [--repeat 3]
        [--page-latency-ms 2000] [--latency-ms 50] [--concurrency 8] [--tenant DIR]

The tenant is generated once (benchmarks/generate.py) into `--tenant` (default
benchmarks/out/tenant-N, the folder `run.py` writes) and reused when it is already there.
The emulator is served in a subprocess, as in `run.py`. Each repeat prints the fetch time,
its bound `ceil(pages / concurrency) x per-request latency`, the ratio, and where the time
beyond the bound went: the answers' own time, the gaps between an answer and the next
request in its slot, and the work after the last answer (checks, indexes, fingerprint).
Not a test: nothing here is run by .ci/run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import Spec, build, write
from benchmarks.run import ROOT, Settings, emulator, fetch_bound, pages
from reconcile.desired.loader import load_desired
from reconcile.gcpause import cycle_collection_paused
from reconcile.live.client import RequestRecord, ScimClient
from reconcile.live.fetch import fetch_live


def _tenant(users: int, folder: Path) -> dict[str, Any]:
    manifest = folder / "manifest.json"
    if not manifest.exists():
        write(build(Spec(users=users)), folder)
    loaded: dict[str, Any] = json.loads(manifest.read_text())
    return loaded


async def _one(
    base_url: str, token: str, *, settings: Settings, expected: tuple[int, int]
) -> dict[str, Any]:
    records: list[RequestRecord] = []
    client = ScimClient(
        base_url=base_url,
        token=token,
        allow_http=True,  # loopback only
        max_concurrency=settings.fetch_concurrency,
        page_size=settings.page_size,
        on_request=records.append,
    )
    gc.collect()
    started_wall = time.time()
    started = time.perf_counter()
    async with client:
        live = await fetch_live(client, expected_users=expected[0], expected_groups=expected[1])
    seconds = time.perf_counter() - started
    last_answer = max(r.sent_at + r.duration for r in records) - started_wall
    list_pages = pages(len(live.users), settings.page_size) + pages(
        len(live.groups), settings.page_size
    )
    latency = (settings.latency_ms + settings.page_latency_ms) / 1000
    return {
        "seconds": seconds,
        "bound": fetch_bound(list_pages, latency=latency, settings=settings),
        "requests": len(records),
        "pages": list_pages,
        "last_answer_s": last_answer,
        "after_last_answer_s": seconds - last_answer,
        "slowest_answer_s": max(r.duration for r in records),
        "users": len(live.users),
        "groups": len(live.groups),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--page-latency-ms", type=float, default=2000.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--tenant", type=Path, default=None)
    args = parser.parse_args(argv)

    folder = args.tenant or ROOT / "benchmarks" / "out" / f"tenant-{args.users}"
    _tenant(args.users, folder)
    desired = load_desired(folder / "desired").desired
    expected = (len(desired.users), len(desired.groups))
    settings = Settings(
        latency_ms=args.latency_ms,
        rate_limit=None,
        rate_limit_burst=1,
        page_latency_ms=args.page_latency_ms,
        fetch_concurrency=args.concurrency,
        apply_concurrency=args.concurrency,
    )
    with emulator(folder / "seed.json", settings) as em:
        em.set_faults(slow_page_ms=args.page_latency_ms)
        for i in range(args.repeat):
            r = asyncio.run(_one(em.base_url, em.token, settings=settings, expected=expected))
            print(
                f"fetch {i + 1}: {r['seconds']:.2f} s, bound {r['bound']:.2f} s "
                f"({r['seconds'] / r['bound']:.3f}x); {r['requests']} requests for "
                f"{r['pages']} pages; last answer at {r['last_answer_s']:.2f} s, then "
                f"{r['after_last_answer_s']:.2f} s; slowest answer "
                f"{r['slowest_answer_s']:.2f} s ({r['users']:,} users, {r['groups']:,} groups)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    with cycle_collection_paused():  # as the command line runs (reconcile/cli/app.py)
        exit_code = main()
    raise SystemExit(exit_code)
