"""The scale benchmark: reconcile against the emulator, beside its lower bounds and beside
the event-by-event strategy of directory connectors, for several tenant sizes.

    .venv/bin/python benchmarks/run.py [--sizes 1000,10000,100000] [--latency-ms 50]
        [--rate-limit 50] [--page-latency-ms 2000] [--baseline-sizes 1000]
        [--out benchmarks/out]          (defaults shown; see BENCHMARKS.md)

For each size: generate the tenant (benchmarks/generate.py), start `reconcile emulator
serve` in a subprocess on 127.0.0.1 seeded with it (so this process's RSS is only the
engine's), then measure in this process: load + validate, live fetch (time, requests),
plan (time, peak RSS), apply (time, requests), and a second fetch + plan that must be
empty (R22). For the baseline sizes, a fresh emulator with the same seed is driven by the
event-by-event strategy (benchmarks/event_by_event.py). Prints a Markdown table and
writes benchmarks/out/results.json. Not a test: nothing here is run by .ci/run.

Lower bounds, printed beside each figure:
- requests: list pages (ceil(users / page) + ceil(groups / page)) + one write per changed
  resource (+ extra chunks for group changes past the per-request operation limit, at the
  emulator's `--max-patch-operations`: the size in force once the client has learnt it).
  The client starts at 1,000 member values per request; the group requests the emulator
  refused for their size while it learnt the limit (413) are counted and printed apart
  ("discovery"): the budget is the bound plus them;
- apply time: writes / rate limit;
- fetch time: max(ceil(pages / concurrency) x per-request latency, pages / rate limit).
  The emulator is one Python process: at a small latency its own CPU (rendering 1M
  memberships) is the limit, not the client. So the fetch is measured twice: at the base
  latency, and with `--page-latency-ms` added to every list page (a page of 1,000
  resources at a real service), where the latency dominates as it does in production.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from benchmarks.event_by_event import run_event_by_event
from benchmarks.generate import Spec, build, write
from reconcile.apply import apply_plan
from reconcile.desired.loader import load_desired
from reconcile.desired.model import Desired
from reconcile.gcpause import cycle_collection_paused
from reconcile.live.client import ScimClient
from reconcile.live.fetch import fetch_live
from reconcile.plan import CreateGroup, Plan, UpdateGroup, plan
from reconcile.plan.safety import Override, check_applicable

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    latency_ms: float
    rate_limit: float | None
    rate_limit_burst: int
    fetch_concurrency: int
    apply_concurrency: int
    page_latency_ms: float = 0.0  # extra latency of a list page, for the paged fetch
    page_size: int = 1000
    max_patch_operations: int = 1000
    emptied_groups: int = 0  # the largest groups seeded without members (big changes)


# --- process measurements -----------------------------------------------------------


def _status_kb(field: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process (Linux), so the next peak
    reading covers only what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    hwm = _status_kb("VmHWM")
    if hwm is not None:
        return hwm / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


# --- the emulator in a subprocess ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Emulator:
    origin: str
    token: str

    @property
    def base_url(self) -> str:
        return f"{self.origin}/scim/v2"

    def _control(self, method: str, path: str) -> Any:
        response = httpx.request(
            method,
            f"{self.origin}/_emulator/{path}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=120,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def set_faults(self, **fields: float) -> None:
        response = httpx.put(
            f"{self.origin}/_emulator/faults",
            json=fields,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        response.raise_for_status()

    def clear_requests(self) -> None:
        self._control("DELETE", "requests")

    def requests(self) -> dict[str, Any]:
        data = self._control("GET", "requests?limit=0")
        return {
            "total": data["total"],
            "by_method": data["by_method"],
            "by_status": data["by_status"],
        }


@contextmanager
def emulator(seed: Path, settings: Settings) -> Iterator[Emulator]:
    token = secrets.token_urlsafe(24)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "reconcile",
        "emulator",
        "serve",
        "--port",
        str(port),
        "--seed",
        str(seed),
        "--latency-ms",
        str(settings.latency_ms),
        "--max-page-size",
        str(settings.page_size),
        "--max-patch-operations",
        str(settings.max_patch_operations),
    ]
    if settings.rate_limit is not None:
        command += [
            "--rate-limit",
            str(settings.rate_limit),
            "--rate-limit-burst",
            str(settings.rate_limit_burst),
        ]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "RECONCILE_EMULATOR_TOKEN": token},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if server.poll() is not None:
                raise RuntimeError(
                    f"the emulator stopped: {server.stderr.read() if server.stderr else ''}"
                )
            try:
                httpx.get(f"{origin}/_emulator/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield Emulator(origin, token)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- lower bounds ---------------------------------------------------------------------


def write_bound(result: Plan, *, limit: int) -> int:
    """The fewest write requests that carry `result`: one per changed resource, plus a
    request per further `limit` member values of a group change (R18)."""
    writes = 0
    for op in result.operations:
        if isinstance(op, UpdateGroup):
            cost = (1 if op.rename else 0) + len(op.add_members) + len(op.remove_members)
            writes += max(1, math.ceil(cost / limit))
        elif isinstance(op, CreateGroup):
            writes += 1 + max(0, math.ceil((len(op.members) - limit) / limit))
        else:
            writes += 1
    return writes


def emptied_seed(seed: Path, *, count: int) -> Path:
    """A copy of the seed whose `count` largest groups have no members live, so that the
    apply adds each one's members back in one change: past a per-request member limit of
    100 (the drift mix alone changes at most a few dozen members of a group)."""
    data = json.loads(seed.read_text(encoding="utf-8"))
    largest = sorted(data["groups"], key=lambda g: -len(g["members"]))[:count]
    for group in largest:
        group["members"] = []
    out = seed.with_name(f"seed-emptied-{count}.json")
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


def pages(count: int, page_size: int) -> int:
    return max(1, math.ceil(count / page_size))


def fetch_bound(list_pages: int, *, latency: float, settings: Settings) -> float:
    bound = math.ceil(list_pages / settings.fetch_concurrency) * latency
    if settings.rate_limit is not None:
        bound = max(bound, list_pages / settings.rate_limit)
    return bound


# --- one size -------------------------------------------------------------------------


def _client(em: Emulator, settings: Settings, *, concurrency: int) -> ScimClient:
    return ScimClient(
        base_url=em.base_url,
        token=em.token,
        allow_http=True,  # loopback only
        max_concurrency=concurrency,
        rate_limit_rps=settings.rate_limit,
        # The service's bucket, as `apply --rate-limit-burst` passes it.
        rate_limit_burst=settings.rate_limit_burst,
        page_size=settings.page_size,
    )


async def _fetch(
    em: Emulator, settings: Settings, desired: Desired
) -> tuple[Any, float, dict[str, Any]]:
    em.clear_requests()
    started = time.perf_counter()
    async with _client(em, settings, concurrency=settings.fetch_concurrency) as client:
        # As `reconcile plan` and `apply` do: the declared sizes shape the first round.
        live = await fetch_live(
            client, expected_users=len(desired.users), expected_groups=len(desired.groups)
        )
    seconds = time.perf_counter() - started
    return live, seconds, em.requests()


def measure_size(
    users: int,
    *,
    settings: Settings,
    spec_args: dict[str, Any],
    work: Path,
    baseline: bool,
    plan_repeat: int = 3,
) -> dict[str, Any]:
    row: dict[str, Any] = {"users": users, "load_average_before": load_average()}
    spec = Spec(users=users, **spec_args)
    t0 = time.perf_counter()
    generated = write(build(spec), work / f"tenant-{users}")
    row["generate_s"] = time.perf_counter() - t0
    folder = work / f"tenant-{users}" / "desired"
    seed = work / f"tenant-{users}" / "seed.json"
    if settings.emptied_groups:
        seed = emptied_seed(seed, count=settings.emptied_groups)
    row["tenant"] = json.loads((work / f"tenant-{users}" / "manifest.json").read_text())
    del generated
    gc.collect()

    t0 = time.perf_counter()
    loaded = load_desired(folder)
    row["load_s"] = time.perf_counter() - t0
    desired = loaded.desired
    rate = settings.rate_limit
    latency = settings.latency_ms / 1000

    with emulator(seed, settings) as em:
        live, fetch_s, fetch_requests = asyncio.run(_fetch(em, settings, desired))
        list_pages = pages(len(live.users), settings.page_size) + pages(
            len(live.groups), settings.page_size
        )
        row["fetch"] = {
            "seconds": fetch_s,
            "requests": fetch_requests["total"],
            "pages_bound": list_pages,
            "seconds_bound": fetch_bound(list_pages, latency=latency, settings=settings),
            "live_users": len(live.users),
            "live_groups": len(live.groups),
            "live_memberships": sum(len(g.member_ids) for g in live.groups),
        }

        if settings.page_latency_ms > 0:
            em.set_faults(slow_page_ms=settings.page_latency_ms)
            paged, paged_s, paged_requests = asyncio.run(_fetch(em, settings, desired))
            em.set_faults(slow_page_ms=0)
            page_latency = latency + settings.page_latency_ms / 1000
            row["fetch_paged"] = {
                "seconds": paged_s,
                "requests": paged_requests["total"],
                "page_latency_s": page_latency,
                "seconds_bound": fetch_bound(list_pages, latency=page_latency, settings=settings),
                "same_state": paged == live,
            }
            del paged

        gc.collect()
        reset_peak_rss()
        timings = []
        for _ in range(plan_repeat):  # best of N, like benchmarks/plan_bench.py
            t0 = time.perf_counter()
            result = plan(desired, live)
            timings.append(time.perf_counter() - t0)
        writes = write_bound(result, limit=settings.max_patch_operations)
        row["plan"] = {
            "seconds": min(timings),
            "all_seconds": timings,
            "peak_rss_mb": peak_rss_mb(),
            "operations": len(result.operations),
            "summary": asdict(result.summary),
            "write_bound": writes,
        }

        async def do_apply() -> tuple[Any, float]:
            em.clear_requests()
            async with _client(em, settings, concurrency=settings.apply_concurrency) as client:
                t = time.perf_counter()
                # The benchmark tenant is over the gates by design: allowed, like
                # `apply --allow-mass-change`.
                checked = check_applicable(fresh=result, override=Override(all_gates=True))
                outcome = await apply_plan(
                    checked, client=client, concurrency=settings.apply_concurrency
                )
                return outcome, time.perf_counter() - t

        applied, apply_s = asyncio.run(do_apply())
        apply_requests = em.requests()
        apply_bound = writes / rate if rate is not None else 0.0
        row["apply"] = {
            "seconds": apply_s,
            "requests": apply_requests["total"],
            "by_status": apply_requests["by_status"],
            # group requests refused for their size while the client learnt the limit
            "discovery_requests": apply_requests["by_status"].get("413", 0),
            "client_size_refusals": applied.size_refusals,
            "learned": [learned.message for learned in applied.limits],
            "client_requests": applied.requests,
            "failed": len(applied.failed),
            "skipped": len(applied.skipped),
            "seconds_bound": apply_bound,
        }
        live2, refetch_s, _ = asyncio.run(_fetch(em, settings, desired))
        again = plan(desired, live2)
        row["replan"] = {"operations": len(again.operations), "fetch_seconds": refetch_s}
        del live, live2, again
    row["requests_total"] = fetch_requests["total"] + apply_requests["total"]
    row["requests_bound"] = list_pages + writes

    if baseline:
        with emulator(seed, settings) as em:
            em.clear_requests()
            stats = asyncio.run(
                run_event_by_event(
                    desired,
                    base_url=em.base_url,
                    token=em.token,
                    rate=rate,
                    page_size=settings.page_size,
                )
            )
            served = em.requests()
            after, _, _ = asyncio.run(_fetch(em, settings, desired))
            left = plan(desired, after)
        row["baseline"] = {
            "seconds": stats.seconds,
            "requests": served["total"],
            "by_kind": stats.by_kind,
            "rate_limited": stats.rate_limited,
            "operations_left": len(left.operations),
        }
    row["load_average_after"] = load_average()
    return row


# --- output ---------------------------------------------------------------------------


def _ratio(measured: float, bound: float) -> str:
    return f"{measured / bound:.2f}x" if bound > 0 else "n/a"


def _discovery(row: dict[str, Any]) -> str:
    """The requests refused while the member limit was learnt, and the ratio without them."""
    found = row["apply"].get("discovery_requests", 0)
    rest = row["requests_total"] - found
    return f"{found} discovery; without: {rest:,} / {row['requests_bound']:,} = " + _ratio(
        rest, row["requests_bound"]
    )


def table(rows: list[dict[str, Any]], settings: Settings) -> str:
    head = (
        "| users / groups / memberships | load + validate | fetch requests (pages) | "
        "live fetch: time (bound) | live fetch, slow pages: time (bound) | "
        "plan: time, peak RSS | apply requests (writes) | apply: time (writes / rate) | "
        "all requests / bound (+ discovery) | re-plan | event-by-event: requests, time | "
        "reconcile vs event-by-event |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        t = r["tenant"]["desired"]
        f, p, a = r["fetch"], r["plan"], r["apply"]
        base = r.get("baseline")
        paged = r.get("fetch_paged")
        paged_cell = (
            f"{paged['seconds']:.2f} s ({paged['seconds_bound']:.2f} s, "
            f"{_ratio(paged['seconds'], paged['seconds_bound'])})"
            if paged
            else "not run"
        )
        if base:
            ours_s = f["seconds"] + a["seconds"]
            ours_r = r["requests_total"]
            versus = (
                f"{base['requests'] / ours_r:.1f}x fewer requests, "
                f"{base['seconds'] / ours_s:.1f}x faster"
            )
            base_cell = f"{base['requests']:,} req, {base['seconds']:.1f} s"
        else:
            versus = base_cell = "not run"
        lines.append(
            f"| {t['users']:,} / {t['groups']:,} / {t['memberships']:,} "
            f"| {r['load_s']:.2f} s "
            f"| {f['requests']:,} ({f['pages_bound']:,}) "
            f"| {f['seconds']:.2f} s ({f['seconds_bound']:.2f} s, "
            f"{_ratio(f['seconds'], f['seconds_bound'])}) "
            f"| {paged_cell} "
            f"| {p['seconds']:.2f} s (best of {len(p['all_seconds'])}), "
            f"{p['peak_rss_mb']:,.0f} MB "
            f"| {a['requests']:,} ({p['write_bound']:,}) "
            f"| {a['seconds']:.1f} s ({a['seconds_bound']:.1f} s, "
            f"{_ratio(a['seconds'], a['seconds_bound'])}) "
            f"| {r['requests_total']:,} / {r['requests_bound']:,} = "
            f"{_ratio(r['requests_total'], r['requests_bound'])} "
            f"({_discovery(r)}) "
            f"| {r['replan']['operations']} ops "
            f"| {base_cell} | {versus} |"
        )
    rate = f"{settings.rate_limit:g} req/s" if settings.rate_limit else "none"
    for r in rows:
        for message in r["apply"].get("learned", []):
            lines.append("")
            users = r["tenant"]["desired"]["users"]
            lines.append(f"{users:,} users, learnt during the apply: {message}")
    lines.append("")
    lines.append(
        f"Emulator: latency {settings.latency_ms:g} ms per request (slow pages: "
        f"+{settings.page_latency_ms:g} ms per list page), rate limit {rate} "
        f"(burst {settings.rate_limit_burst}), pages of {settings.page_size}, at most "
        f"{settings.max_patch_operations} member values per group request; fetch "
        f"concurrency {settings.fetch_concurrency}, apply concurrency "
        f"{settings.apply_concurrency}."
    )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    mem_kb = None
    try:
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        mem_kb = int(found.group(1)) if found else None
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 2**20, 1) if mem_kb else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="reconcile against the emulator, beside the lower bounds and beside "
        "the event-by-event strategy (see BENCHMARKS.md)"
    )
    parser.add_argument("--sizes", default="1000,10000,100000", help="users per tenant")
    parser.add_argument("--baseline-sizes", default="1000", help="sizes that also run the baseline")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate-limit", type=float, default=50.0, help="req/s; 0 = none")
    parser.add_argument("--rate-limit-burst", type=int, default=10)
    parser.add_argument(
        "--page-latency-ms", type=float, default=2000.0, help="slow-page fetch; 0 = skip it"
    )
    parser.add_argument("--fetch-concurrency", type=int, default=8)
    parser.add_argument("--apply-concurrency", type=int, default=16)
    parser.add_argument("--plan-repeat", type=int, default=3, help="plan N times, report best")
    parser.add_argument(
        "--max-patch-operations",
        type=int,
        default=1000,
        help="the emulator's member values per group request (the client is not told)",
    )
    parser.add_argument(
        "--emptied-groups",
        type=int,
        default=0,
        help="seed the N largest groups without members: N group changes past 100 members",
    )
    parser.add_argument("--drift", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the emulator subprocess is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    baseline = {int(s) for s in args.baseline_sizes.split(",") if s.strip()}
    settings = Settings(
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit or None,
        rate_limit_burst=args.rate_limit_burst,
        page_latency_ms=args.page_latency_ms,
        fetch_concurrency=args.fetch_concurrency,
        apply_concurrency=args.apply_concurrency,
        max_patch_operations=args.max_patch_operations,
        emptied_groups=args.emptied_groups,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    started = time.perf_counter()
    for users in sizes:
        print(f"… {users:,} users", file=sys.stderr, flush=True)
        rows.append(
            measure_size(
                users,
                settings=settings,
                spec_args={"drift": args.drift, "seed": args.seed},
                work=args.out,
                baseline=users in baseline,
                plan_repeat=max(1, args.plan_repeat),
            )
        )
        gc.collect()
    report = {
        "settings": asdict(settings),
        "machine": machine(),
        "wall_seconds": time.perf_counter() - started,
        "results": rows,
    }
    (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table(rows, settings))
    print(
        f"\n{json.dumps(report['machine'])}; whole run {report['wall_seconds']:.0f} s; "
        f"JSON: {args.out / 'results.json'}"
    )
    return 0


if __name__ == "__main__":
    with cycle_collection_paused():  # as the command line runs (reconcile/cli/app.py)
        exit_code = main()
    raise SystemExit(exit_code)
