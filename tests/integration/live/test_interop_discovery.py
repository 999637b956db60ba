"""Discovery for the rfc7644 profile against scim2-server (issue 14 item 2).

scim2-server refuses the TeamViewer SsoUser extension (400 "Extra inputs are not
permitted"); its User resource type lists only the enterprise extension, so with
`sso_customer_id` set the engine leaves the extension out, says so once, and converges.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.live.client import RequestRecord, ScimClient
from reconcile.live.discovery import discover
from reconcile.live.fetch import fetch_live
from reconcile.live.profiles import Profile
from reconcile.plan.planner import SSO_NOT_SENT
from tests.integration.live.conftest import TOKEN, Scim2Server
from tests.integration.live.helpers import run

pytestmark = pytest.mark.integration

DESIRED = """\
tenant:
  sso_customer_id: sso-customer-7
users:
  - {email: ann.lee@example.test, first_name: Ann, last_name: Lee}
  - {email: bo.chen@example.test, first_name: Bo, last_name: Chen}
groups:
  engineering:
    name: Engineering
    members: [ann.lee@example.test, bo.chen@example.test]
"""


def test_discovery_is_two_requests_and_shapes_the_client(scim2_server: Scim2Server) -> None:
    records: list[RequestRecord] = []

    async def scenario(client: ScimClient) -> tuple[bool, str]:
        client.use_facts(await discover(client.get_document))
        uid = await client.create_user(
            email="sso@example.test", display_name="S", active=True, sso_customer_id="sso-7"
        )
        live = await fetch_live(client)
        return client.facts.sso_extension, live.users_by_id[uid].email

    sso, email = run(
        scim2_server.base_url, scenario, profile=Profile.RFC7644, on_request=records.append
    )
    assert (sso, email) == (False, "sso@example.test")
    assert [r.path for r in records[:2]] == ["/ServiceProviderConfig", "/ResourceTypes"]
    assert (
        sum(r.path.startswith(("/ServiceProviderConfig", "/ResourceTypes")) for r in records) == 2
    )


def test_without_discovery_the_rfc7644_client_never_sends_the_extension(
    scim2_server: Scim2Server,
) -> None:
    async def scenario(client: ScimClient) -> str:
        return await client.create_user(
            email="plain@example.test", display_name="P", active=True, sso_customer_id="sso-7"
        )

    assert run(scim2_server.base_url, scenario, profile=Profile.RFC7644)


def test_plan_apply_replan_with_sso_customer_id_converges(
    scim2_server: Scim2Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "state.yaml").write_text(DESIRED, encoding="utf-8")
    env = {"RECONCILE_TARGET": scim2_server.base_url, "TEAMVIEWER_TOKEN": TOKEN}
    common = ["--profile", "rfc7644"]
    runner = CliRunner()
    applied = runner.invoke(app, ["apply", "desired", *common, "--auto-approve"], env=env)
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert applied.stdout.count(SSO_NOT_SENT) == 1  # once, as a plan notice
    again = runner.invoke(
        app, ["plan", "desired", *common, "--detailed-exitcode", "--format", "json"], env=env
    )
    assert again.exit_code == 0, again.stdout + again.stderr
    notices = json.loads(again.stdout)["notices"]
    assert {
        "kind": "sso_not_sent",
        "subject": "tenant.sso_customer_id",
        "message": SSO_NOT_SENT,
    } in notices
    users = {r["userName"] for r in scim2_server.dump() if "userName" in r}
    assert users == {"ann.lee@example.test", "bo.chen@example.test"}
