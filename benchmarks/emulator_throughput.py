"""Emulator throughput on loopback: seed time, list pages/s and PATCH/s.

Runs `reconcile emulator serve` in a subprocess (so client and server do not share a
GIL), seeds it through the control API, then drives it with an async httpx client.

    .venv/bin/python benchmarks/emulator_throughput.py [--users 100000] [--groups 10000]
        [--concurrency 8] [--seconds 5]

Figures go to stdout (and docs/emulator.md by hand); nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time

import httpx

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed_body(users: int, groups: int, per_group: int) -> dict[str, object]:
    return {
        "users": [
            {"userName": f"user{i}@example.test", "displayName": f"User {i}", "active": True}
            for i in range(users)
        ],
        "groups": [
            {
                "displayName": f"Group {g}",
                "members": [
                    f"user{(g * per_group + k) % users}@example.test" for k in range(per_group)
                ],
            }
            for g in range(groups)
        ],
        "foreign_accounts": [],
    }


async def drive(make_request: object, *, concurrency: int, seconds: float) -> tuple[int, float]:
    """Run `make_request(client, n)` from `concurrency` workers for `seconds`."""
    count = 0
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient, w: int) -> None:
        nonlocal count
        n = w
        while time.perf_counter() < deadline:
            response = await make_request(client, n)  # type: ignore[operator]
            response.raise_for_status()
            count += 1
            n += concurrency

    start = time.perf_counter()
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
        await asyncio.gather(*(worker(client, w) for w in range(concurrency)))
    return count, time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--per-group", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()

    token = secrets.token_urlsafe(16)
    port = free_port()
    env = {**os.environ, "RECONCILE_EMULATOR_TOKEN": token}
    server = subprocess.Popen(
        [sys.executable, "-m", "reconcile", "emulator", "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    origin = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        for _ in range(200):
            try:
                httpx.get(f"{origin}/_emulator/health", timeout=1)
                break
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        body = seed_body(args.users, args.groups, args.per_group)
        start = time.perf_counter()
        r = httpx.post(f"{origin}/_emulator/seed", json=body, headers=headers, timeout=600)
        r.raise_for_status()
        seed_s = time.perf_counter() - start
        print(f"seed {r.json()} over HTTP: {seed_s:.2f} s")

        pages = max(1, args.users // args.page_size)

        async def list_page(client: httpx.AsyncClient, n: int) -> httpx.Response:
            start_index = (n % pages) * args.page_size + 1
            return await client.get(
                f"{origin}/scim/v2/Users",
                params={"startIndex": start_index, "count": args.page_size},
                headers=headers,
            )

        async def list_groups(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.get(
                f"{origin}/scim/v2/Groups",
                params={"startIndex": (n * 100) % args.groups + 1, "count": 100},
                headers=headers,
            )

        async def patch_user(client: httpx.AsyncClient, n: int) -> httpx.Response:
            body = {
                "schemas": [PATCH],
                "Operations": [{"op": "replace", "path": "active", "value": n % 2 == 0}],
            }
            return await client.patch(
                f"{origin}/scim/v2/Users/u{1_000_001 + n % args.users}", json=body, headers=headers
            )

        async def patch_group(client: httpx.AsyncClient, n: int) -> httpx.Response:
            uid = f"u{1_000_001 + (n * 7919) % args.users}"
            op = "add" if n % 2 == 0 else "remove"
            body = {
                "schemas": [PATCH],
                "Operations": [{"op": op, "path": "members", "value": [{"value": uid}]}],
            }
            return await client.patch(
                f"{origin}/scim/v2/Groups/g{1_000_001 + n % args.groups}",
                json=body,
                headers=headers,
            )

        for label, fn in (
            (f"GET /Users pages of {args.page_size}", list_page),
            ("GET /Groups pages of 100 (with members)", list_groups),
            ("PATCH /Users (replace active)", patch_user),
            ("PATCH /Groups (add/remove one member)", patch_group),
        ):
            for conc in (1, args.concurrency):
                count, elapsed = await drive(fn, concurrency=conc, seconds=args.seconds)
                print(f"{label:45s} concurrency {conc:2d}: {count / elapsed:8.1f} req/s")
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    asyncio.run(main())
