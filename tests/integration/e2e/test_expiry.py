"""R24 end to end over real HTTP, with --now: expiry applied on time, and nothing else.

The example desired state holds one temporary member: sam.taylor@example.test in
Customer Support until 2027-03-31, in no other group.
"""

from __future__ import annotations

from tests.integration.e2e.conftest import Workspace, drop_robin, groups_by_name, users_by_email

BEFORE = "2027-03-30T12:00:00Z"
AFTER = "2027-04-01T00:00:00Z"  # the day after the expiry
SAM = "sam.taylor@example.test"


def converged(ws: Workspace) -> None:
    drop_robin(ws)
    applied = ws.run("apply", "desired_state", "--auto-approve", "--now", BEFORE)
    assert applied.code == 0, applied.stderr


def members_of(ws: Workspace, group: str) -> set[str]:
    state = ws.emulator.control.state()
    ids = {u["id"]: email for email, u in users_by_email(state).items()}
    return {ids[m] for m in groups_by_name(state)[group]["members"]}


def test_r24_an_expired_membership_is_removed_and_the_lone_user_deactivated(
    demo: Workspace,
) -> None:
    converged(demo)
    assert SAM in members_of(demo, "Customer Support")
    quiet = demo.run("plan", "desired_state", "--now", BEFORE, "--detailed-exitcode")
    assert quiet.code == 0, quiet.stdout
    assert f"{SAM}'s membership of group 'support' expires 2027-03-31" in quiet.stdout

    result = demo.run("plan", "desired_state", "--now", AFTER, "--format", "json")
    assert result.code == 0, result.stderr
    doc = result.json()
    assert doc["now"] == "2027-04-01T00:00:00+00:00"
    assert doc["expired"] == [{"email": SAM, "group": "support", "expires": "2027-03-31"}]
    ops = {(op["action"], op.get("email") or op.get("key")): op for op in doc["operations"]}
    assert set(ops) == {("update_group", "support"), ("update_user", SAM)}
    assert ops[("update_group", "support")]["remove_members"] == [SAM]
    assert (
        f"{SAM}: membership expired 2027-03-31 (R24)" in ops[("update_group", "support")]["reasons"]
    )
    assert ops[("update_user", SAM)]["changes"] == {"active": [True, False]}

    applied = demo.run("apply", "desired_state", "--auto-approve", "--now", AFTER)
    assert applied.code == 0, applied.stderr
    assert SAM not in members_of(demo, "Customer Support")
    assert users_by_email(demo.emulator.control.state())[SAM]["active"] is False
    again = demo.run("plan", "desired_state", "--now", AFTER, "--detailed-exitcode")
    assert again.code == 0, again.stdout  # R22


def test_r24_r5_a_user_in_another_unexpired_present_group_stays_active(demo: Workspace) -> None:
    converged(demo)
    # emma.jones is in Engineering as well: her Support membership ends, her account not.
    groups = demo.desired / "groups.yaml"
    text = groups.read_text(encoding="utf-8")
    groups.write_text(
        text.replace(
            "      - emma.jones@example.test   # also in Engineering",
            '      - {email: emma.jones@example.test, expires: "2027-03-31"}',
        ),
        encoding="utf-8",
    )
    applied = demo.run("apply", "desired_state", "--auto-approve", "--now", AFTER)
    assert applied.code == 0, applied.stderr
    assert "emma.jones@example.test" not in members_of(demo, "Customer Support")
    assert "emma.jones@example.test" in members_of(demo, "Engineering")
    users = users_by_email(demo.emulator.control.state())
    assert users["emma.jones@example.test"]["active"] is True
    assert users[SAM]["active"] is False


def test_r24_apply_only_expired_leaves_an_unrelated_pending_change(demo: Workspace) -> None:
    converged(demo)
    # A reviewed-path change waiting for its own apply: a new display name.
    users = demo.desired / "users" / "support.yaml"
    text = users.read_text(encoding="utf-8")
    users.write_text(
        text.replace("    first_name: Ana\n", "    first_name: Ana Maria\n"), encoding="utf-8"
    )
    demo.emulator.control.clear_requests()
    applied = demo.run("apply", "desired_state", "--only-expired", "--auto-approve", "--now", AFTER)
    assert applied.code == 0, applied.stderr
    assert "left for the reviewed apply: 1 other operation" in applied.stdout
    state = users_by_email(demo.emulator.control.state())
    assert state["ana.souza@example.test"]["displayName"] == "Ana Souza"  # untouched
    assert state[SAM]["active"] is False
    assert SAM not in members_of(demo, "Customer Support")
    assert demo.writes() == 2  # one PATCH of the group, one PUT of the user (R18)
    last_run = demo.audit[-1]["run_id"]
    events = [e for e in demo.audit if e["run_id"] == last_run]
    assert sorted((e["event_type"], e["resource"]) for e in events) == [
        ("group_update_provision", "support"),
        ("user_deprovision", SAM),
    ]
    # The reviewed change is all that is pending now.
    rest = demo.run("plan", "desired_state", "--now", AFTER, "--format", "json").json()
    assert [(op["action"], op["email"]) for op in rest["operations"]] == [
        ("update_user", "ana.souza@example.test")
    ]


def test_r24_apply_only_expired_with_nothing_expired_changes_nothing(demo: Workspace) -> None:
    drop_robin(demo)
    demo.emulator.control.clear_requests()
    applied = demo.run(
        "apply", "desired_state", "--only-expired", "--auto-approve", "--now", BEFORE
    )
    assert applied.code == 0, applied.stderr
    assert demo.writes() == 0
    assert "No changes." in applied.stdout


def test_r24_drift_lists_the_next_weeks_expiries(demo: Workspace) -> None:
    converged(demo)
    report = demo.run("drift", "desired_state", "--now", "2027-03-28T00:00:00Z", "--format",
                      "markdown")  # fmt: skip
    assert "Expiring soon (1)" in report.stdout
    assert f"{SAM}'s membership of group 'support' expires 2027-03-31" in report.stdout
    far = demo.run("drift", "desired_state", "--now", "2027-03-01T00:00:00Z")
    assert "Expiring soon" not in far.stdout


def test_r24_expiring_lists_a_future_expiry(workspace: Workspace) -> None:
    result = workspace.run("expiring", "desired_state", "--within", "14d", "--now", "2027-03-20")
    assert result.code == 0, result.stderr
    assert SAM in result.stdout
    assert "support (Customer Support)" in result.stdout
    assert "declared at desired_state/groups.yaml:" in result.stdout


def test_r24_a_malformed_expiry_is_a_file_line_column_error(workspace: Workspace) -> None:
    groups = workspace.desired / "groups.yaml"
    text = groups.read_text(encoding="utf-8")
    groups.write_text(text.replace('expires: "2027-03-31"', "expires: 2027-31-03"), "utf-8")
    line = next(
        number
        for number, content in enumerate(groups.read_text("utf-8").splitlines(), start=1)
        if "2027-31-03" in content
    )
    for command in ("validate", "plan", "apply"):
        result = workspace.run(command, "desired_state", "--now", AFTER)
        assert result.code == 1
        assert f"desired_state/groups.yaml:{line}:" in result.stderr
        assert "'2027-31-03' is not a calendar date" in result.stderr
