"""The embedded target and its demo tenant (issue 3 item 8), and `reconcile emulator serve`
on a real port (item 7)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from reconcile.emulator.embedded import demo_seed_text, open_embedded

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


async def _fetch(state_dir: Path) -> tuple[dict[str, object], dict[str, object]]:
    target = open_embedded(state_dir=state_dir)
    headers = {"Authorization": f"Bearer {target.token}"}
    async with httpx.AsyncClient(
        transport=target.transport, base_url=target.base_url, headers=headers
    ) as http:
        users = (await http.get("/Users")).json()
        groups = (await http.get("/Groups")).json()
    return users, groups


def test_embedded_is_seeded_once_and_persists(tmp_path: Path) -> None:
    state_dir = tmp_path / ".reconcile"
    users, groups = asyncio.run(_fetch(state_dir))
    assert (state_dir / "embedded.sqlite3").exists()
    assert (state_dir / ".gitignore").read_text() == "*\n"
    assert users["totalResults"] == 17
    assert [g["displayName"] for g in groups["Resources"]] == [  # type: ignore[index]
        "Support",
        "Sales",
        "Engineering",
        "Contractors",
        "Marketing",
    ]

    async def deactivate_first() -> None:
        target = open_embedded(state_dir=state_dir)
        async with httpx.AsyncClient(
            transport=target.transport,
            base_url=target.base_url,
            headers={"Authorization": f"Bearer {target.token}"},
        ) as http:
            body = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            }
            assert (await http.patch("/Users/u1000001", json=body)).status_code == 200

    asyncio.run(deactivate_first())
    again, _ = asyncio.run(_fetch(state_dir))
    assert again["totalResults"] == 17  # not seeded twice
    assert again["Resources"][0]["active"] is False  # type: ignore[index]


def test_demo_seed_matches_the_example_desired_state() -> None:
    """Every kind of change the README promises needs its live counterpart."""
    seed = yaml.safe_load(demo_seed_text())
    live = {u["userName"].split("@")[0]: u for u in seed["users"]}
    groups = {g["displayName"]: [m.split("@")[0] for m in g["members"]] for g in seed["groups"]}
    declared: set[str] = set()
    for path in (REPO / "desired_state" / "users").glob("*.yaml"):
        declared |= {u["email"].split("@")[0] for u in yaml.safe_load(path.read_text())["users"]}
    desired_groups = yaml.safe_load((REPO / "desired_state" / "groups.yaml").read_text())["groups"]
    assert live["mary.ann.smith"]["displayName"] == "Mary Smith"  # drifted name
    assert live["omar.haddad"]["active"] is False  # reactivated
    assert live["tom.kowalski"]["active"] is True  # suspended in YAML
    assert "former.employee" not in declared  # unmanaged user
    assert {"priya.natarajan", "lukas.becker", "mia.wagner", "grace.lee", "robin.hill"} <= (
        declared - set(live)
    )
    assert seed["foreign_accounts"] == ["robin.hill@example.test"]
    assert "Support" in desired_groups["support"]["renamed_from"]
    assert desired_groups["sales"]["name"] == "Sales"
    assert "former.employee" in groups["Sales"]  # member to remove
    assert "dana.white" in groups["Engineering"]
    assert desired_groups["contractors"]["state"] == "deleted"
    assert groups["Contractors"] == ["alex.morgan"]
    assert "Marketing" not in {g["name"] for g in desired_groups.values()}
    assert all(u.endswith("@example.test") for u in (x["userName"] for x in seed["users"]))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_serve_with_seed_db_and_faults(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        '{"users": [{"userName": "cli@example.test", "displayName": "Cli User"}],'
        ' "foreign_accounts": ["x@example.test"]}'
    )
    db = tmp_path / "cli.sqlite3"
    port = _free_port()
    env = {**os.environ, "RECONCILE_EMULATOR_TOKEN": "cli-test-token"}
    cmd = [
        sys.executable,
        "-m",
        "reconcile",
        "emulator",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        str(db),
        "--seed",
        str(seed),
        "--max-page-size",
        "5",
        "--rate-limit",
        "1000",
        "--latency-ms",
        "1",
    ]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base}/_emulator/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.1)
        headers = {"Authorization": "Bearer cli-test-token"}
        users = httpx.get(f"{base}/scim/v2/Users", headers=headers).json()
        assert [u["userName"] for u in users["Resources"]] == ["cli@example.test"]
        spc = httpx.get(f"{base}/scim/v2/ServiceProviderConfig", headers=headers).json()
        assert spc["filter"]["maxResults"] == 5
        faults = httpx.get(f"{base}/_emulator/faults", headers=headers).json()
        assert (faults["rate_limit_rps"], faults["latency_ms"]) == (1000, 1)
        assert httpx.get(f"{base}/scim/v2/Users").status_code == 401
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert "cli-test-token" not in err
    assert "TeamViewer" in err


def test_cli_serve_needs_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RECONCILE_EMULATOR_TOKEN"}
    r = subprocess.run(
        [sys.executable, "-m", "reconcile", "emulator", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 1
    assert "--token" in r.stderr
