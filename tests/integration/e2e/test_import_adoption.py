"""Adopting a live tenant (issue 15 item 1), end to end over real HTTP to the emulator:
`import` into a folder that does not exist (or is empty) writes a complete desired state,
and the very next `plan --detailed-exitcode` exits 0 with no write."""

from __future__ import annotations

from tests.integration.e2e.conftest import Workspace

# A tenant nobody wrote the example files for: users in no group (active and inactive),
# odd spacing and YAML-looking names, an empty group, a group name with outer spaces.
ODD_TENANT = {
    "users": [
        {"userName": "Ann.Lee@Corp.test", "displayName": "Ann  Lee", "active": True},
        {"userName": "bob@corp.test", "displayName": "0o17", "active": True},
        {"userName": "cy@corp.test", "displayName": "Cy ${HOME}", "active": False},
        {"userName": "dee@corp.test", "displayName": "Dee", "active": True},
        {"userName": "eli@corp.test", "displayName": "Eli", "active": False},
        {"userName": "root.admin@corp.test", "displayName": "IT Service Desk", "active": True},
    ],
    "groups": [
        {"displayName": "Eng", "members": ["Ann.Lee@Corp.test", "bob@corp.test", "cy@corp.test"]},
        {"displayName": "Empty", "members": []},
        {"displayName": " Ops ", "members": ["dee@corp.test"]},
    ],
}


def test_import_into_a_missing_folder_then_plan_is_empty_on_the_demo(demo: Workspace) -> None:
    imported = demo.run("import", "new-folder", "--groups")
    assert imported.code == 0, imported.stderr
    folder = demo.root / "new-folder"
    assert sorted(p.name for p in folder.iterdir()) == [
        ".schema.json",
        "groups.yaml",
        "tenant.yaml",
        "users.yaml",
    ]
    # it.admin is in no group: left undeclared (declared, the plan would deactivate it).
    assert "it.admin@example.test: active, in no group" in imported.stderr
    assert "it.admin@example.test" in (folder / "users.yaml").read_text(encoding="utf-8")
    assert demo.run("validate", "new-folder").code == 0
    plan = demo.run("plan", "new-folder", "--detailed-exitcode")
    assert plan.code == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout
    assert demo.writes() == 0


def test_import_into_an_empty_folder_on_an_odd_tenant(workspace: Workspace) -> None:
    workspace.emulator.control.seed(ODD_TENANT)
    workspace.emulator.control.clear_requests()
    (workspace.root / "empty").mkdir()
    imported = workspace.run("import", "empty", "--groups", env={"HOME": "/somewhere"})
    assert imported.code == 0, imported.stderr
    assert "group ' Ops '" in imported.stderr
    assert "spaces" in imported.stderr
    plan = workspace.run("plan", "empty", "--detailed-exitcode", env={"HOME": "/elsewhere"})
    assert plan.code == 0, plan.stdout + plan.stderr
    assert workspace.writes() == 0
    # Without --groups only what stays as it is gets declared; the plan is empty as well.
    imported = workspace.run("import", "users-only")
    assert imported.code == 0, imported.stderr
    assert not (workspace.root / "users-only" / "groups.yaml").exists()
    plan = workspace.run("plan", "users-only", "--detailed-exitcode")
    assert plan.code == 0, plan.stdout + plan.stderr
    # A second import into the now populated folder keeps the re-import behaviour.
    again = workspace.run("import", "empty")
    assert again.code == 0, again.stderr
    assert "Imported" in again.stderr
    assert (workspace.root / "empty" / "imported.yaml").exists()


def test_r23_a_protected_user_blocks_plan_and_apply_before_any_write(demo: Workspace) -> None:
    """The adoption incident: the token's own account is in no group. Declared and
    protected, the plan that would deactivate it is an error that no flag overrides."""
    assert demo.run("import", "adopted", "--groups").code == 0
    folder = demo.root / "adopted"
    tenant = (folder / "tenant.yaml").read_text(encoding="utf-8")
    (folder / "tenant.yaml").write_text(
        tenant.replace("protected_users: []", "protected_users: [it.admin@example.test]"),
        encoding="utf-8",
    )
    users = (folder / "users.yaml").read_text(encoding="utf-8")
    (folder / "users.yaml").write_text(
        users + "- email: it.admin@example.test\n  display_name: IT Service Desk\n",
        encoding="utf-8",
    )
    planned = demo.run("plan", "adopted", "--detailed-exitcode")
    assert planned.code == 1, planned.stdout + planned.stderr
    assert "it.admin@example.test is a protected user" in planned.stderr
    assert "adopted/users.yaml:" in planned.stderr  # the entry that causes it
    for flags in ((), ("--allow-mass-change",)):
        applied = demo.run("apply", "adopted", "--auto-approve", *flags)
        assert applied.code == 1, applied.stdout + applied.stderr
        assert "No command-line flag overrides this (R23)" in applied.stderr
    assert demo.writes() == 0
