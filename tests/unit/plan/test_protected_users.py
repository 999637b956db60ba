"""R23 protected users: no plan deactivates one, for any reason; such a plan is a planning
error naming the user, the reason, the FILE:LINE that causes it and the fix.

The desired states are real YAML files read by the loader, so that the locations in the
messages are the ones a user would see."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.desired import DesiredStateError, load_desired
from reconcile.live.model import Live
from reconcile.plan import PlanningError, plan
from tests.unit.plan.builders import lg, live, lu

TENANT = """\
tenant:
  unmanaged_users: {unmanaged}
  protected_users: [IT.Admin@Example.test]
"""

USERS = """\
users:
  - email: it.admin@example.test
    display_name: IT Service Desk
{extra}  - email: jane@example.test
    display_name: Jane
"""

GROUPS = """\
groups:
  support:
    name: Support
    state: {state}
    members: [{members}]
"""

STATE = live(
    [
        lu("u1", "it.admin@example.test", "IT Service Desk"),
        lu("u2", "jane@example.test", "Jane"),
    ],
    [lg("g1", "Support", ["u1", "u2"])],
)


def _write(
    folder: Path,
    *,
    unmanaged: str = "ignore",
    extra: str = "",
    state: str = "present",
    members: str = "it.admin@example.test, jane@example.test",
    users: bool = True,
    groups: bool = True,
) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "tenant.yaml").write_text(TENANT.format(unmanaged=unmanaged), encoding="utf-8")
    if users:
        (folder / "users.yaml").write_text(USERS.format(extra=extra), encoding="utf-8")
    if groups:
        (folder / "groups.yaml").write_text(
            GROUPS.format(state=state, members=members), encoding="utf-8"
        )
    return folder


def _refused(folder: Path, state: Live = STATE) -> str:
    desired = load_desired(folder).desired
    with pytest.raises(PlanningError) as caught:
        plan(desired, state)
    assert caught.value.kinds == {"protected_user"}
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.subject == "it.admin@example.test"
    message = str(diagnostic)
    assert "is a protected user (tenant.protected_users at " in message
    assert "tenant.yaml:3:" in message  # where it is protected
    assert "remove it from tenant.protected_users" in message
    assert "No command-line flag overrides this (R23)" in message
    return message


def test_r23_the_protected_user_as_it_is_plans_nothing(tmp_path: Path) -> None:
    assert plan(load_desired(_write(tmp_path)).desired, STATE).operations == ()


def test_r23_leaving_every_group_is_refused(tmp_path: Path) -> None:
    message = _refused(_write(tmp_path, members="jane@example.test"))
    assert message.startswith(f"{tmp_path}/groups.yaml:2:3: ")  # the group it was dropped from
    assert "left Support" in message
    assert "list it in a present group's members again" in message


def test_r23_suspended_is_refused(tmp_path: Path) -> None:
    users = (
        "users:\n  - email: it.admin@example.test\n    display_name: IT Service Desk\n"
        "    suspended: true\n  - email: jane@example.test\n    display_name: Jane\n"
    )
    folder = _write(tmp_path, users=False)
    (folder / "users.yaml").write_text(users, encoding="utf-8")
    message = _refused(folder)
    assert message.startswith(f"{tmp_path}/users.yaml:2:5: ")  # its own entry
    assert "suspended" in message
    assert "set suspended: false in its entry" in message


def test_r23_not_declared_under_unmanaged_deactivate_is_refused(tmp_path: Path) -> None:
    folder = _write(tmp_path, unmanaged="deactivate", users=False, groups=False)
    (folder / "users.yaml").write_text(
        "users:\n  - email: jane@example.test\n    display_name: Jane\n"
        "groups:\n  support: {name: Support, members: [jane@example.test]}\n",
        encoding="utf-8",
    )
    message = _refused(folder)
    assert message.startswith(f"{tmp_path}/tenant.yaml:2:")  # tenant.unmanaged_users
    assert "not declared" in message
    assert "tenant.unmanaged_users: ignore" in message


def test_r23_a_deleted_group_is_refused(tmp_path: Path) -> None:
    message = _refused(_write(tmp_path, state="deleted"))
    assert message.startswith(f"{tmp_path}/groups.yaml:2:3: ")
    assert "deleted" in message


def test_r23_dropped_from_the_files_is_refused(tmp_path: Path) -> None:
    """The group is gone from the files: the user is declared in no group at all."""
    message = _refused(_write(tmp_path, groups=False))
    assert message.startswith(f"{tmp_path}/users.yaml:2:5: ")
    assert "no longer declared (R10)" in message


def test_r23_other_deactivations_still_plan(tmp_path: Path) -> None:
    """Only the protected user's deactivation is an error; others are planned as before."""
    desired = load_desired(_write(tmp_path, members="it.admin@example.test")).desired
    result = plan(desired, STATE)
    assert [op.key for op in result.operations if getattr(op, "is_deactivation", False)] == [
        "jane@example.test"
    ]


def test_r23_protected_users_are_checked_addresses(tmp_path: Path) -> None:
    (tmp_path / "tenant.yaml").write_text(
        "tenant:\n  protected_users:\n    - ok@example.test\n    - not-an-address\n",
        encoding="utf-8",
    )
    with pytest.raises(DesiredStateError) as caught:
        load_desired(tmp_path)
    (diagnostic,) = caught.value.diagnostics
    assert str(diagnostic).startswith(f"{tmp_path}/tenant.yaml:4:7: ")
    assert "not-an-address" in str(diagnostic)
