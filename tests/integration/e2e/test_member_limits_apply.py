"""`reconcile apply` against a service that limits group requests (issue 20): the size is
learnt from one 413, reported in the summary and the audit log, and kept for the run;
`tenant.service.max_members_per_request` sets it up front."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import RunningEmulator
from tests.integration.e2e.conftest import Workspace

pytestmark = pytest.mark.integration

USERS = 250


def _write(ws: Workspace, *, members: int, service: str = "") -> None:
    emails = [f"p{n:03d}@example.test" for n in range(USERS)]
    ws.write("tenant.yaml", "tenant:\n  safety: {max_deactivations: 0}\n" + service)
    users = "".join(f"  - {{email: {e}, display_name: P {e[1:4]}}}\n" for e in emails)
    ws.write("users.yaml", "users:\n" + users)
    big = ", ".join(emails[:members])  # only members are bound, so created (R2)
    ws.write("groups.yaml", f"groups:\n  big:\n    name: Big\n    members: [{big}]\n")


def _statuses(emu: RunningEmulator, method: str) -> list[int]:
    entries = emu.control.requests()["entries"]
    return [e["status"] for e in entries if e["method"] == method and "/Groups" in e["path"]]


def test_apply_learns_the_member_limit_from_one_413_and_reports_it(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    emu = emulator_factory(max_patch_operations=100, max_create_members=100)
    ws = Workspace(root=tmp_path, emulator=emu)
    _write(ws, members=USERS)
    emu.control.clear_requests()
    first = ws.run("apply", "desired_state", "--auto-approve")
    assert first.code == 0, first.stdout + first.stderr
    # the create of 250 refused whole, re-sent with 100; the other 150 in two PATCHes
    assert _statuses(emu, "POST") == [413, 201]
    assert _statuses(emu, "PATCH") == [200, 200]
    message = "the service takes at most 100 member values per request"
    assert "1 of them refused for their size and sent again smaller" in first.stdout
    assert message in first.stdout
    assert f"note: {message}" in first.stderr
    noted = [e for e in ws.audit if e.get("note")]
    assert len(noted) == 1
    assert noted[0]["event_type"] == "group_create_provision"
    assert message in noted[0]["note"]
    assert ws.plan_json()["operations"] == []  # R22


def test_the_size_set_in_the_tenant_file_sends_no_request_the_service_refuses(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    emu = emulator_factory(max_patch_operations=100, max_create_members=100)
    ws = Workspace(root=tmp_path, emulator=emu)
    _write(ws, members=10, service="  service: {max_members_per_request: 100}\n")
    assert ws.run("apply", "desired_state", "--auto-approve").code == 0
    _write(ws, members=USERS, service="  service: {max_members_per_request: 100}\n")
    emu.control.clear_requests()
    second = ws.run("apply", "desired_state", "--auto-approve")
    assert second.code == 0, second.stdout + second.stderr
    assert _statuses(emu, "PATCH") == [200, 200, 200]  # 240 adds: 100 + 100 + 40
    assert "refused for their size" not in second.stdout
    (big,) = [g for g in emu.control.state()["groups"] if g["displayName"] == "Big"]
    assert len(big["members"]) == USERS
