"""The rfc7644 profile, the whole loop, against two independent third-party servers.

scim2-server and django-scim2 (its default adapters on SQLite): plan, apply, re-plan
empty (R22), a user and a group rename (R8), membership moves, a deactivation (R3, R5;
never a delete, R4), a take-over by name (R7), and `snapshot`, with `sso_customer_id`
set (neither lists the SsoUser extension, so it is left out). Quirks are handled by the
profile (docs/interop.md), never here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.live.client import ScimClient
from reconcile.live.discovery import discover
from reconcile.live.fetch import fetch_live
from reconcile.live.model import Live
from reconcile.live.profiles import Profile
from reconcile.live.snapshot import read_snapshot
from tests.integration.live.conftest import TOKEN as SCIM2_TOKEN

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIRST = """\
tenant:
  sso_customer_id: sso-customer-7
users:
  - {email: ann.lee@example.test, first_name: Ann, last_name: Lee}
  - {email: bo.chen@example.test, first_name: Bo, last_name: Chen}
  - {email: cy.diaz@example.test, first_name: Cy, last_name: Diaz}
  - {email: old.timer@example.test, first_name: Old, last_name: Timer}
groups:
  engineering:
    name: Engineering
    members: [ann.lee@example.test, bo.chen@example.test]
  support:
    name: Support
    members: [cy.diaz@example.test, old.timer@example.test]
"""

SECOND = """\
tenant:
  sso_customer_id: sso-customer-7
users:
  - {email: ann.lee@example.test, first_name: Ann, last_name: Lee}
  - {email: bo.chen@example.test, display_name: Bo Chen-Wu}
  - {email: cy.diaz@example.test, first_name: Cy, last_name: Diaz}
  - {email: old.timer@example.test, first_name: Old, last_name: Timer}
groups:
  engineering:
    name: Engineering
    members: [bo.chen@example.test]
  support:
    name: Customer Support
    renamed_from: [Support]
    members: [ann.lee@example.test, old.timer@example.test]
"""


@dataclass(frozen=True)
class Server:
    base_url: str
    token: str


@pytest.fixture(params=["scim2-server", "django-scim2"])
def server(request: pytest.FixtureRequest) -> Server:
    if request.param == "scim2-server":
        return Server(request.getfixturevalue("scim2_server").base_url, SCIM2_TOKEN)
    django = request.getfixturevalue("django_scim")
    return Server(django.base_url, django.token)


def read_live(server: Server) -> Live:
    async def main() -> Live:
        async with ScimClient(
            base_url=server.base_url, token=server.token, profile=Profile.RFC7644
        ) as client:
            client.use_facts(await discover(client.get_document))
            return await fetch_live(client)

    return asyncio.run(main())


def seed_support_group(server: Server) -> str:
    """A live group named like a declared one, with a member: taken over by name (R7)."""

    async def main() -> str:
        async with ScimClient(
            base_url=server.base_url, token=server.token, profile=Profile.RFC7644
        ) as client:
            uid = await client.create_user(
                email="old.timer@example.test", display_name="Old Timer", active=True
            )
            return await client.create_group(name="Support", member_ids=[uid])

    return asyncio.run(main())


def test_full_loop(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    support_id = seed_support_group(server)
    desired = tmp_path / "desired"
    desired.mkdir()
    env = {"RECONCILE_TARGET": server.base_url, "TEAMVIEWER_TOKEN": server.token}
    runner = CliRunner()

    def reconcile(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, [*args, "--profile", "rfc7644"], env=env)
        return result.exit_code, result.stdout + result.stderr

    (desired / "state.yaml").write_text(FIRST, encoding="utf-8")
    assert reconcile("plan", "desired", "--detailed-exitcode")[0] == 2
    code, output = reconcile("apply", "desired", "--auto-approve")
    assert code == 0, output
    code, output = reconcile("plan", "desired", "--detailed-exitcode")
    assert code == 0, output  # R22
    live = read_live(server)
    by_name = {g.name: g for g in live.groups}
    assert by_name["Support"].id == support_id  # taken over, not re-created (R7)
    ids = {u.email: u.id for u in live.users}
    assert by_name["Support"].member_ids == {
        ids["cy.diaz@example.test"],
        ids["old.timer@example.test"],
    }
    assert by_name["Engineering"].member_ids == {
        ids["ann.lee@example.test"],
        ids["bo.chen@example.test"],
    }
    assert {u.display_name for u in live.users} >= {"Ann Lee", "Bo Chen"}

    (desired / "state.yaml").write_text(SECOND, encoding="utf-8")
    code, output = reconcile("apply", "desired", "--auto-approve")
    assert code == 0, output
    code, output = reconcile("plan", "desired", "--detailed-exitcode")
    assert code == 0, output  # R22 after renames, moves and a deactivation
    live = read_live(server)
    users = {u.email: u for u in live.users}
    assert len(users) == 4  # nobody deleted (R4)
    assert users["cy.diaz@example.test"].active is False  # in no group any more (R3, R5)
    assert users["bo.chen@example.test"].display_name == "Bo Chen-Wu"  # R8 for users (R14)
    groups = {g.id: g for g in live.groups}
    assert groups[support_id].name == "Customer Support"  # renamed in place (R8)
    assert groups[support_id].member_ids == {
        ids["ann.lee@example.test"],
        ids["old.timer@example.test"],
    }

    code, output = reconcile("snapshot", "--out", "live.json")
    assert code == 0, output
    assert read_snapshot(tmp_path / "live.json").live == live
