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


def _seed_team(workspace: Workspace, count: int) -> list[str]:
    emails = [f"p{i:02}@corp.test" for i in range(count)]
    workspace.emulator.control.seed(
        {
            "users": [{"userName": e, "displayName": f"P {i}"} for i, e in enumerate(emails)],
            "groups": [
                {"displayName": "Support", "members": emails},
                {"displayName": "All", "members": emails},
            ],
        }
    )
    assert workspace.run("import", "ds", "--groups").code == 0
    workspace.emulator.control.clear_requests()
    return emails


def _keep_in_support(workspace: Workspace, emails: list[str], *, all_too: bool) -> None:
    groups = workspace.root / "ds" / "groups.yaml"
    text = groups.read_text(encoding="utf-8")
    head, _, tail = text.partition("  support:")
    support = "  support:\n    name: Support\n    members: [" + ", ".join(emails) + "]\n"
    all_group = head if all_too else head.split("  all:")[0]
    groups.write_text(all_group + support, encoding="utf-8")
    assert tail  # the group was there to edit


def test_r20_a_group_losing_more_than_its_limit_is_refused_at_apply(workspace: Workspace) -> None:
    emails = _seed_team(workspace, 12)
    _keep_in_support(workspace, emails[:1], all_too=True)  # 11 leave Support, stay in All
    for flags in ((), ("--allow-deactivations", "0")):
        refused = workspace.run("apply", "ds", "--auto-approve", *flags)
        assert refused.code == 3, refused.stdout + refused.stderr
        assert "safety gate max_removals_per_group refused the plan" in refused.stderr
        assert "group 'Support' would lose 11 of 12 members" in refused.stderr
    assert workspace.writes() == 0
    done = workspace.run("apply", "ds", "--auto-approve", "--allow-mass-change")
    assert done.code == 0, done.stdout + done.stderr


def test_allow_deactivations_is_bound_to_the_reviewed_count(workspace: Workspace) -> None:
    emails = _seed_team(workspace, 3)
    tenant = workspace.root / "ds" / "tenant.yaml"
    text = tenant.read_text(encoding="utf-8")
    tenant.write_text(text.replace("max_deactivations: 10", "max_deactivations: 1"), "utf-8")
    _keep_in_support(workspace, emails[:0], all_too=False)  # everybody loses every group
    refused = workspace.run("apply", "ds", "--auto-approve", "--allow-deactivations", "2")
    assert refused.code == 3, refused.stdout + refused.stderr
    assert "--allow-deactivations 2 allows at most 2 deactivations" in refused.stderr
    assert "the fresh plan deactivates 3" in refused.stderr
    assert workspace.writes() == 0
    done = workspace.run("apply", "ds", "--auto-approve", "--allow-deactivations", "3")
    assert done.code == 0, done.stdout + done.stderr
    assert "overridden by --allow-deactivations 3" in done.stderr
