"""The whole loop over real HTTP: plan, apply, plan again (issue 6), citing the rules."""

from __future__ import annotations

import json

import httpx

from tests.integration.e2e.conftest import Workspace, drop_robin, groups_by_name, users_by_email


def test_demo_loop_applies_every_kind_of_change_and_leaves_only_the_409(demo: Workspace) -> None:
    before = demo.emulator.control.state()
    first = demo.plan_json()
    actions = {op["action"] for op in first["operations"]}
    assert actions == {"create_user", "update_user", "create_group", "update_group", "delete_group"}

    applied = demo.run("apply", "desired_state", "--auto-approve")
    # R17: the foreign account fails its create, the rest goes on, the run exits 1.
    assert applied.code == 1, applied.stderr
    assert "robin.hill@example.test belongs to a TeamViewer account outside the company" in (
        applied.stderr
    )

    after = demo.emulator.control.state()
    users = users_by_email(after)
    groups = groups_by_name(after)
    # R4: nobody was deleted; 3 users were created (robin failed, grace is not created).
    assert set(users_by_email(before)) <= set(users)
    assert len(users) == len(before["users"]) + 3
    assert users["mary.ann.smith@example.test"]["displayName"] == "Mary Ann Smith"  # R14
    assert users["omar.haddad@example.test"]["active"] is True  # R3 reactivation
    for email in ("tom.kowalski", "dana.white", "alex.morgan"):  # R3, R5, R9
        assert users[f"{email}@example.test"]["active"] is False
    assert "Customer Support" in groups
    assert "Support" not in groups
    assert "Contractors" not in groups  # R9
    assert "Marketing" in groups  # R10: unmanaged, untouched
    assert "Interns" not in groups  # R6
    ids = {u["id"]: email for email, u in users.items()}
    sales = {ids[m] for m in groups["Sales"]["members"]}
    assert sales == {
        "carlos.ruiz@example.test",
        "fatima.elamrani@example.test",
        "oliver.brown@example.test",
        "mia.wagner@example.test",
    }  # R12: former.employee removed, robin could not be created

    # Only the failure is left pending: robin's create and his membership in Sales.
    second = demo.plan_json()
    pending = sorted(
        (op["action"], op.get("email") or op.get("key")) for op in second["operations"]
    )
    assert pending == [("create_user", "robin.hill@example.test"), ("update_group", "sales")]


def test_apply_converges_after_success_r22(demo: Workspace) -> None:
    drop_robin(demo)
    applied = demo.run("apply", "desired_state", "--auto-approve")
    assert applied.code == 0, applied.stderr
    again = demo.run("plan", "desired_state", "--detailed-exitcode")
    assert again.code == 0, again.stdout
    assert demo.plan_json()["operations"] == []


def test_saved_plan_is_applied_as_reviewed(demo: Workspace) -> None:
    drop_robin(demo)
    saved = demo.run("plan", "desired_state", "--out", "plan.json")
    assert saved.code == 0, saved.stderr
    applied = demo.run("apply", "desired_state", "--plan", "plan.json", "--auto-approve")
    assert applied.code == 0, applied.stderr
    assert demo.plan_json()["operations"] == []


def test_stale_saved_plan_is_refused_with_the_fresh_plan_r21(demo: Workspace) -> None:
    drop_robin(demo)
    assert demo.run("plan", "desired_state", "--out", "plan.json").code == 0
    # Someone changes TeamViewer by hand after the plan was reviewed.
    jane = users_by_email(demo.emulator.control.state())["jane.doe@example.test"]
    httpx.patch(
        f"{demo.emulator.url}/Users/{jane['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Jane Q. Doe"}],
        },
        headers=demo.emulator.headers(),
    ).raise_for_status()
    demo.emulator.control.clear_requests()

    refused = demo.run("apply", "desired_state", "--plan", "plan.json", "--auto-approve")
    assert refused.code == 3
    assert "live state changed" in refused.stderr
    assert "Jane Q. Doe" in refused.stdout  # the fresh plan is shown
    assert demo.writes() == 0


def test_safety_gate_refuses_then_override_applies_r20(demo: Workspace) -> None:
    drop_robin(demo)
    tenant = (demo.desired / "tenant.yaml").read_text(encoding="utf-8")
    demo.write("tenant.yaml", tenant.replace("max_deactivations: 10", "max_deactivations: 1"))

    refused = demo.run("apply", "desired_state", "--auto-approve")
    assert refused.code == 3
    assert "max_deactivations" in refused.stderr
    assert "--allow-mass-change" in refused.stderr
    assert demo.writes() == 0

    forced = demo.run("apply", "desired_state", "--auto-approve", "--allow-mass-change")
    assert forced.code == 0, forced.stderr
    assert demo.plan_json()["operations"] == []


def test_empty_desired_state_is_refused_r20(demo: Workspace) -> None:
    for path in demo.desired.rglob("*.yaml"):
        path.unlink()
    demo.write("tenant.yaml", "tenant:\n  unmanaged_users: deactivate\n")
    refused = demo.run("apply", "desired_state", "--auto-approve")
    assert refused.code == 3
    assert "empty_desired" in refused.stderr
    assert demo.writes() == 0
    assert all(
        u["active"]
        for u in demo.emulator.control.state()["users"]
        if u["userName"] != "omar.haddad@example.test"
    )


def test_apply_without_terminal_needs_auto_approve(demo: Workspace) -> None:
    refused = demo.run("apply", "desired_state")
    assert refused.code == 1
    assert "--auto-approve" in refused.stderr
    assert "Plan: " in refused.stdout  # the plan is shown before refusing
    assert demo.writes() == 0


def test_dropped_answers_on_create_are_settled_by_lookup_r17(workspace: Workspace) -> None:
    ws = workspace
    for path in ws.desired.rglob("*.yaml"):
        path.unlink()
    ws.write(
        "all.yaml",
        "users:\n"
        "  - {email: a.one@example.test, display_name: A One}\n"
        "  - {email: b.two@example.test, display_name: B Two}\n"
        "groups:\n"
        "  team: {name: Team, members: [a.one@example.test, b.two@example.test]}\n",
    )
    ws.emulator.control.set_faults(drop_rate=1.0)  # every write commits, no answer arrives
    applied = ws.run("apply", "desired_state", "--auto-approve")
    ws.emulator.control.set_faults(drop_rate=0.0)
    assert applied.code == 0, applied.stderr

    state = ws.emulator.control.state()
    emails = sorted(u["userName"] for u in state["users"])
    assert emails == ["a.one@example.test", "b.two@example.test"]  # no duplicates
    assert [g["displayName"] for g in state["groups"]] == ["Team"]
    events = ws.audit
    lookups = [e for e in events if e["event_type"] == "user_lookup_provision"]
    assert {e["resource"] for e in lookups} == {"a.one@example.test", "b.two@example.test"}
    assert all(e["success"] for e in events)
    assert ws.plan_json()["operations"] == []  # R22


def test_audit_log_has_one_event_per_operation(demo: Workspace) -> None:
    drop_robin(demo)
    plan = demo.plan_json()
    assert demo.run("apply", "desired_state", "--auto-approve").code == 0
    events = demo.audit
    assert len(events) == len(plan["operations"])
    assert len({e["run_id"] for e in events}) == 1
    required = {
        "timestamp",
        "run_id",
        "event_type",
        "success",
        "resource",
        "live_id",
        "method",
        "path",
        "status",
        "duration_ms",
        "error",
    }
    for event in events:
        assert required <= set(event)
        assert event["success"] is True
        assert event["status"] in {200, 201, 204}
    types = sorted({e["event_type"] for e in events})
    assert types == [
        "group_create_provision",
        "group_delete_provision",
        "group_update_provision",
        "user_create_provision",
        "user_deprovision",
        "user_update_provision",
    ]
    deprovisioned = {e["resource"] for e in events if e["event_type"] == "user_deprovision"}
    assert deprovisioned == {
        "tom.kowalski@example.test",
        "dana.white@example.test",
        "alex.morgan@example.test",
    }
    assert demo.emulator.token not in (demo.root / ".reconcile" / "audit.jsonl").read_text()


def test_a_second_apply_refuses_while_one_holds_the_lock(demo: Workspace) -> None:
    from reconcile.lock import exclusive

    with exclusive(demo.root / ".reconcile"):
        refused = demo.run("apply", "desired_state", "--auto-approve")
    assert refused.code == 1
    assert "another apply is running" in refused.stderr
    assert demo.writes() == 0


def test_import_writes_valid_yaml_for_undeclared_users(demo: Workspace) -> None:
    imported = demo.run("import", "desired_state", "--groups")
    assert imported.code == 0, imported.stderr
    assert "New" in imported.stderr
    assert "Imported" in imported.stderr
    assert "unbound until added to a group" in imported.stderr
    text = (demo.desired / "imported.yaml").read_text(encoding="utf-8")
    assert "former.employee@example.test" in text
    assert "id: g1000005" in text  # Marketing, pinned by id
    assert demo.run("validate", "desired_state").code == 0
    again = demo.run("import", "desired_state")
    assert again.code == 1
    assert "--force" in again.stderr


def test_a_saved_plan_cannot_vouch_for_its_own_safety_r20(demo: Workspace) -> None:
    """Editing `"passes": true` into a plan file does not get it past the gates."""
    drop_robin(demo)
    tenant = (demo.desired / "tenant.yaml").read_text(encoding="utf-8")
    demo.write("tenant.yaml", tenant.replace("max_deactivations: 10", "max_deactivations: 1"))
    assert demo.run("plan", "desired_state", "--out", "plan.json").code == 0
    saved = json.loads((demo.root / "plan.json").read_text(encoding="utf-8"))
    for gate in saved["safety"].values():
        gate["passes"] = True
    (demo.root / "plan.json").write_text(json.dumps(saved), encoding="utf-8")

    refused = demo.run("apply", "desired_state", "--plan", "plan.json", "--auto-approve")
    assert refused.code == 3, refused.stderr
    assert "max_deactivations" in refused.stderr
    assert demo.writes() == 0
