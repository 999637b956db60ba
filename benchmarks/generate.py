"""Write a generated tenant to disk: a desired-state folder and an emulator seed file.

    .venv/bin/python benchmarks/generate.py --users 10000 --out benchmarks/out/t10k
        [--groups N] [--memberships-per-user 10] [--drift 0.01] [--seed 20240601]

Builds on `benchmarks/tenant_gen.py` (the planner benchmark's seeded generator: new users,
renamed, suspended and reactivated users, membership churn, renamed / new / deleted groups,
unmanaged leftovers) and adds the two kinds of drift a desired-state repository sees on
top of those: leavers (taken out of every group; half of them also out of the files) and
membership moves (one group swapped for another in the files). The same arguments always
give the same bytes.

Output (OUT/):
    desired/tenant.yaml, desired/users/users-NNN.yaml, desired/groups/groups-NNN.yaml
        the desired state, split so that every file stays far below the loader's 10 MiB
    seed.json   the live side, for `reconcile emulator serve --seed` or POST /_emulator/seed
    manifest.json   the spec and the counts of every drift kind
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.tenant_gen import TenantSize, generate
from reconcile.desired.model import Desired, DesiredGroup, DesiredUser, GroupState
from reconcile.live.model import Live

DEFAULT_SEED = 20_240_601
USERS_PER_FILE = 20_000  # about 1.6 MB of YAML
MEMBERSHIPS_PER_FILE = 100_000  # about 3.5 MB of YAML


@dataclass(frozen=True, slots=True, kw_only=True)
class Spec:
    """What to generate; `groups` defaults to one per 10 users."""

    users: int
    groups: int | None = None
    memberships_per_user: int = 10
    drift: float = 0.01  # share of users (and groups) touched by each kind of drift
    seed: int = DEFAULT_SEED

    @property
    def group_count(self) -> int:
        return self.groups if self.groups is not None else max(1, self.users // 10)

    def __post_init__(self) -> None:
        if self.users < 10:
            raise ValueError("users must be at least 10")
        if not 0 <= self.drift <= 0.2:
            raise ValueError("drift must be between 0 and 0.2")
        per_group = self.users * self.memberships_per_user // self.group_count
        if not 1 <= per_group <= self.users:
            raise ValueError("memberships per group must be between 1 and the user count")


@dataclass(frozen=True, slots=True)
class DriftCounts:
    """How much drift of each kind the tenant carries (counted on the generated data)."""

    new_users: int  # declared and bound, not live: to create
    leavers: int  # live members taken out of every group in the files
    renamed_users: int  # live display name differs
    suspended_users: int  # declared suspended
    inactive_live_users: int  # inactive live, active in the files: to reactivate
    membership_moves: int  # one group swapped for another in the files
    unmanaged_users: int  # live, never declared
    groups_to_create: int
    groups_renamed: int
    groups_deleted: int


@dataclass(frozen=True, slots=True)
class Generated:
    spec: Spec
    desired: Desired
    seed: dict[str, Any]
    drift: DriftCounts
    files: tuple[Path, ...] = field(default=())

    @property
    def memberships(self) -> int:
        return sum(len(g.members) for g in self.desired.groups.values())


def build(spec: Spec) -> Generated:
    """The tenant in memory: the desired state and the live side as an emulator seed."""
    size = TenantSize(
        users=spec.users,
        groups=spec.group_count,
        memberships=spec.users * spec.memberships_per_user,
        drift=spec.drift,
    )
    base, live = generate(size, seed=spec.seed)
    rnd = random.Random(spec.seed + 1)
    desired, leavers, moves = _leavers_and_moves(base, live, rnd=rnd, share=spec.drift)
    seed = seed_of(live)
    live_keys = set(live.users_by_email)
    live_names = {u.key: u for u in live.users}
    live_group_names = {g.name for g in live.groups}
    present = [g for g in desired.groups.values() if g.present]
    bound = {m for g in present for m in g.members}
    drift = DriftCounts(
        new_users=sum(1 for k in desired.users if k not in live_keys and k in bound),
        leavers=leavers,
        renamed_users=sum(
            1
            for k, u in desired.users.items()
            if k in live_names and live_names[k].display_name != u.effective_name
        ),
        suspended_users=sum(1 for u in desired.users.values() if u.suspended),
        inactive_live_users=sum(
            1 for k in desired.users if k in live_names and not live_names[k].active
        ),
        membership_moves=moves,
        unmanaged_users=sum(1 for k in live_keys if k not in desired.users),
        groups_to_create=sum(
            1
            for g in present
            if g.name not in live_group_names
            and not any(old in live_group_names for old in g.renamed_from)
        ),
        groups_renamed=sum(
            1
            for g in present
            if g.name not in live_group_names
            and any(old in live_group_names for old in g.renamed_from)
        ),
        groups_deleted=sum(1 for g in desired.groups.values() if not g.present),
    )
    return Generated(spec=spec, desired=desired, seed=seed, drift=drift)


def _leavers_and_moves(
    desired: Desired, live: Live, *, rnd: random.Random, share: float
) -> tuple[Desired, int, int]:
    """Add leavers and membership moves to the files (the live side stays as it is)."""
    live_keys = live.users_by_email
    candidates = sorted(k for k, u in desired.users.items() if k in live_keys and not u.suspended)
    picked = rnd.sample(candidates, min(len(candidates), 2 * round(len(candidates) * share / 2)))
    half = len(picked) // 2
    leavers, movers = set(picked[:half]), picked[half:]
    # Half the leavers stay declared (so they are deactivated, R3), half leave the files.
    gone = set(sorted(leavers)[: len(leavers) // 2])
    members = {k: [m for m in g.members if m not in leavers] for k, g in desired.groups.items()}
    present_keys = sorted(k for k, g in desired.groups.items() if g.present)
    groups_of: dict[str, list[str]] = {}
    for key in present_keys:
        for m in members[key]:
            groups_of.setdefault(m, []).append(key)
    moves = 0
    for mover in movers:
        mine = groups_of.get(mover, [])
        if not mine:
            continue
        source = mine[rnd.randrange(len(mine))]
        target = present_keys[rnd.randrange(len(present_keys))]
        if target in mine or len(members[source]) < 2:
            continue
        members[source].remove(mover)
        members[target].append(mover)
        groups_of[mover] = [g for g in mine if g != source] + [target]
        moves += 1
    groups = [
        DesiredGroup(
            key=g.key,
            name=g.name,
            renamed_from=g.renamed_from,
            state=g.state,
            members=tuple(members[g.key]),
        )
        for g in desired.groups.values()
    ]
    users = [u for k, u in desired.users.items() if k not in gone]
    rebuilt = Desired.build(tenant=desired.tenant, users=users, groups=groups)
    return rebuilt, len(leavers), moves


def seed_of(live: Live) -> dict[str, Any]:
    """The live side as an emulator seed (members by userName, in the service's id order)."""
    email_of = {u.id: u.email for u in live.users}
    return {
        "users": [
            {"userName": u.email, "displayName": u.display_name, "active": u.active}
            for u in live.users
        ],
        "groups": [
            {
                "displayName": g.name,
                # Members added "by hand" for users that are not live are left out: the
                # service only holds members that exist.
                "members": sorted(email_of[m] for m in g.member_ids if m in email_of),
            }
            for g in live.groups
        ],
        "foreign_accounts": [],
    }


# --- writing ------------------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML for this text)."""
    return json.dumps(text, ensure_ascii=False)


def _user_yaml(users: Iterable[DesiredUser]) -> str:
    lines = ["users:"]
    for u in users:
        lines.append(f"  - email: {u.email}")
        if u.display_name:
            lines.append(f"    display_name: {_q(u.display_name)}")
        if u.first_name:
            lines.append(f"    first_name: {_q(u.first_name)}")
        if u.last_name:
            lines.append(f"    last_name: {_q(u.last_name)}")
        if u.suspended:
            lines.append("    suspended: true")
    return "\n".join(lines) + "\n"


def _group_yaml(groups: Iterable[DesiredGroup], emails: dict[str, str]) -> str:
    lines = ["groups:"]
    for g in groups:
        lines.append(f"  {g.key}:")
        lines.append(f"    name: {_q(g.name)}")
        if g.renamed_from:
            lines.append(f"    renamed_from: [{', '.join(_q(n) for n in g.renamed_from)}]")
        if g.state is not GroupState.PRESENT:
            lines.append(f"    state: {g.state.value}")
        if g.members:
            lines.append("    members:")
            lines.extend(f"      - {emails[m]}" for m in g.members)
        else:
            lines.append("    members: []")
    return "\n".join(lines) + "\n"


def _tenant_yaml(gen: Generated) -> str:
    users = gen.spec.users
    # Limits sized to the generated drift, so `reconcile apply` on the folder goes through.
    return (
        "tenant:\n"
        "  manage_groups: true\n"
        "  unmanaged_users: ignore\n"
        "  enabled: true\n"
        "  safety:\n"
        f"    max_deactivations: {max(10, users)}\n"
        "    max_deactivation_percent: 100\n"
        f"    max_group_deletions: {max(3, gen.spec.group_count)}\n"
    )


def _chunks(items: Sequence[Any], weights: Sequence[int], limit: int) -> list[list[Any]]:
    """Consecutive runs of `items` whose weights add up to about `limit` each."""
    out: list[list[Any]] = [[]]
    room = limit
    for item, weight in zip(items, weights, strict=True):
        if out[-1] and room < weight:
            out.append([])
            room = limit
        out[-1].append(item)
        room -= weight
    return out


def write(gen: Generated, out: Path) -> Generated:
    """Write desired/, seed.json and manifest.json under `out` (replacing earlier ones)."""
    desired_dir = out / "desired"
    for sub in ("users", "groups"):
        folder = desired_dir / sub
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.yaml"):
            old.unlink()
    files: list[Path] = []

    def put(path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        files.append(path)

    put(desired_dir / "tenant.yaml", _tenant_yaml(gen))
    users = list(gen.desired.users.values())
    for n, start in enumerate(range(0, len(users), USERS_PER_FILE)):
        put(
            desired_dir / "users" / f"users-{n:03d}.yaml",
            _user_yaml(users[start : start + USERS_PER_FILE]),
        )
    emails = {k: u.email for k, u in gen.desired.users.items()}
    groups = list(gen.desired.groups.values())
    weights = [len(g.members) + 3 for g in groups]
    for n, chunk in enumerate(_chunks(groups, weights, MEMBERSHIPS_PER_FILE)):
        put(desired_dir / "groups" / f"groups-{n:03d}.yaml", _group_yaml(chunk, emails))
    seed_path = out / "seed.json"
    seed_path.write_text(json.dumps(gen.seed, separators=(",", ":")), encoding="utf-8")
    files.append(seed_path)
    manifest = {
        "spec": asdict(gen.spec),
        "desired": {
            "users": len(gen.desired.users),
            "groups": len(gen.desired.groups),
            "memberships": gen.memberships,
        },
        "live": {
            "users": len(gen.seed["users"]),
            "groups": len(gen.seed["groups"]),
            "memberships": sum(len(g["members"]) for g in gen.seed["groups"]),
        },
        "drift": asdict(gen.drift),
    }
    manifest_path = out / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    files.append(manifest_path)
    return Generated(
        spec=gen.spec, desired=gen.desired, seed=gen.seed, drift=gen.drift, files=tuple(files)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--groups", type=int, default=None, help="default: users / 10")
    parser.add_argument("--memberships-per-user", type=int, default=10)
    parser.add_argument("--drift", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    spec = Spec(
        users=args.users,
        groups=args.groups,
        memberships_per_user=args.memberships_per_user,
        drift=args.drift,
        seed=args.seed,
    )
    gen = write(build(spec), args.out)
    print(
        f"{len(gen.desired.users):,} users, {len(gen.desired.groups):,} groups, "
        f"{gen.memberships:,} memberships -> {args.out} ({len(gen.files)} files)"
    )
    print(json.dumps(asdict(gen.drift)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
