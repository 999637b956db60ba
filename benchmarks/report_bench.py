"""Report benchmark: `reconcile report` on a 10,000-user repository with 300 commits of
history (budget: <= 20 s for the whole command, HTML out).

    python benchmarks/report_bench.py [--users N --commits N --out DIR --keep]

The repository is built with `git fast-import` (seconds, not minutes): one file per group
and users split over files of 500, as teams keep them; then every commit after the first
changes one to three group files (members granted and removed) and every tenth also a
users file (people joining), with squash-merge subjects naming a pull request. The live
side is a snapshot of the generated tenant (with its drift). Timed: the history walk on
its own, and the whole command in a fresh process (load, plan, history, render, write).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import _group_yaml, _user_yaml
from benchmarks.tenant_gen import TenantSize, generate
from reconcile.desired.loader import load_desired
from reconcile.desired.model import Desired, DesiredGroup, DesiredUser
from reconcile.live.model import Live
from reconcile.live.snapshot import write_snapshot
from reconcile.report import find_repository, walk

BUDGET_SECONDS = 20.0
USERS_PER_FILE = 500
START = 1_767_225_600  # 2026-01-01T00:00:00Z; one commit every six hours after it


def _blob(path: str, text: str) -> bytes:
    data = text.encode("utf-8")
    return f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"


def _commit(number: int, subject: str, files: list[bytes]) -> bytes:
    stamp = START + number * 6 * 3600
    message = subject.encode()
    head = (
        "commit refs/heads/main\n"
        f"author Access Admin <admin@example.test> {stamp} +0000\n"
        f"committer Access Admin <admin@example.test> {stamp} +0000\n"
        f"data {len(message)}\n"
    ).encode()
    return head + message + b"\n" + b"".join(files) + b"\n"


def _history(desired: Desired, commits: int, seed: int) -> Iterator[bytes]:
    """The fast-import stream: the first commit declares everything, the rest churn."""
    rnd = random.Random(seed)
    users = list(desired.users.values())
    emails = {u.key: u.email for u in users}
    groups = {g.key: g for g in desired.groups.values()}
    user_files = [users[i : i + USERS_PER_FILE] for i in range(0, len(users), USERS_PER_FILE)]
    first = [_blob("desired/tenant.yaml", "tenant:\n  manage_groups: true\n")]
    first += [
        _blob(f"desired/users/team-{n:03d}.yaml", _user_yaml(f)) for n, f in enumerate(user_files)
    ]
    first += [
        _blob(f"desired/groups/{k}.yaml", _group_yaml([g], emails)) for k, g in groups.items()
    ]
    yield _commit(0, "Initial access (#1)", first)
    keys = sorted(groups)
    for number in range(1, commits):
        changed = []
        for key in rnd.sample(keys, rnd.randint(1, 3)):
            group = groups[key]
            members = set(group.members)
            members -= set(rnd.sample(sorted(members), min(len(members), rnd.randint(0, 3))))
            members |= {rnd.choice(users).key for _ in range(rnd.randint(1, 4))}
            groups[key] = DesiredGroup(key=key, name=group.name, members=tuple(sorted(members)))
            changed.append(_blob(f"desired/groups/{key}.yaml", _group_yaml([groups[key]], emails)))
        if number % 10 == 0:
            team = rnd.randrange(len(user_files))
            joiner = DesiredUser(
                email=f"joiner{number:04d}@example.test", display_name=f"Joiner {number}"
            )
            emails[joiner.key] = joiner.email
            user_files[team] = [*user_files[team], joiner]
            changed.append(
                _blob(f"desired/users/team-{team:03d}.yaml", _user_yaml(user_files[team]))
            )
        yield _commit(number, f"Access change {number} (#{number + 1})", changed)


def build_repository(folder: Path, *, users: int, commits: int, seed: int) -> Path:
    size = TenantSize(users=users, groups=users // 10, memberships=users * 10)
    desired, live = generate(size, seed=seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    stream = b"".join(_history(desired, commits, seed))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=folder, input=stream, check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=folder, check=True)
    # The planner's generator may keep members that are not listed users (it never reads
    # them back); a snapshot must be complete, so those are left out here.
    ids = set(live.users_by_id)
    groups = [replace(g, member_ids=g.member_ids & ids) for g in live.groups]
    snapshot = Live.build(users=live.users, groups=groups)
    write_snapshot(snapshot, folder.parent / "live.json", target_label="benchmark")
    return folder / "desired"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument("--out", type=Path, default=None, help="work folder (default: temporary)")
    args = parser.parse_args(argv)
    work = args.out or Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        return _run(work, users=args.users, commits=args.commits, seed=args.seed)
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)


def _run(work: Path, *, users: int, commits: int, seed: int) -> int:
    started = time.perf_counter()
    desired_dir = build_repository(work / "repo", users=users, commits=commits, seed=seed)
    built = time.perf_counter() - started
    print(f"repository: {users:,} users, {commits} commits (built in {built:.1f} s)")
    repo = find_repository(desired_dir)
    assert repo is not None
    started = time.perf_counter()
    history = walk(repo, period_start=None)
    walked = time.perf_counter() - started
    declared = load_desired(desired_dir).desired
    wanted = {(g.key, m) for g in declared.groups.values() if g.present for m in g.members}
    assert set(history.since) == wanted, "the walk disagrees with the loader on HEAD"
    print(
        f"history walk: {walked:.2f} s ({history.commits} commits, {len(history.since):,} "
        f"current memberships, {len(history.events):,} grants and removals)"
    )
    out = work / "report.html"
    live = str(work / "live.json")
    command = [sys.executable, "-m", "reconcile", "report", str(desired_dir),
               "--live", live, "--since", "2026-01-01", "--out", str(out)]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    total = time.perf_counter() - started
    print(
        f"reconcile report (whole command, HTML {out.stat().st_size / 1e6:.1f} MB): {total:.2f} s"
    )
    verdict = "within" if total <= BUDGET_SECONDS else "OVER"
    print(f"budget: {total:.2f} s {verdict} {BUDGET_SECONDS:.0f} s")
    return 0 if total <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
