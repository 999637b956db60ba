"""load_desired on the example, the valid fixtures, and inputs too big or too deep for
fixtures (generated here). Rules are cited by number (DESIGN.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconcile.desired import (
    DesiredStateError,
    GroupState,
    UnmanagedUsers,
    load_desired,
)
from reconcile.identity import email_key

REPO = Path(__file__).parents[3]
VALID = REPO / "tests" / "fixtures" / "valid"


def _errors(path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(DesiredStateError) as caught:
        load_desired(path, environ={}, **kwargs)  # type: ignore[arg-type]
    return [str(d) for d in caught.value.diagnostics]


def test_example_desired_state_exercises_the_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = load_desired(Path("desired_state/"), environ={})
    desired = result.desired
    assert result.warnings == ()
    assert 15 <= len(desired.users) <= 30
    assert 4 <= len(desired.groups) <= 6
    assert result.files[0] == "desired_state/groups.yaml"  # as typed, sorted
    assert desired.users["mary.ann.smith@example.test"].first_name == "Mary Ann"
    assert desired.users["tom.kowalski@example.test"].suspended
    assert desired.users["grace.lee@example.test"].password_expired
    in_two = [
        key for key in desired.users if sum(key in g.members for g in desired.groups.values()) > 1
    ]
    assert in_two == ["emma.jones@example.test"]
    assert desired.groups["interns"].members == ()
    assert desired.groups["contractors"].state is GroupState.DELETED
    assert desired.groups["support"].renamed_from == ("Support",)
    location = desired.users["carlos.ruiz@example.test"].location
    assert location is not None
    assert (location.file, location.line, location.column) == (
        "desired_state/users/sales.yaml",
        3,
        5,
    )


def test_unset_sso_variable_with_empty_default_means_no_sso_id() -> None:
    tenant = load_desired(REPO / "desired_state", environ={}).desired.tenant
    assert tenant.sso_customer_id is None
    environ = {"TEAMVIEWER_SSO_CUSTOMER_ID": "sso-123"}
    tenant = load_desired(REPO / "desired_state", environ=environ).desired.tenant
    assert tenant.sso_customer_id == "sso-123"


def test_full_valid_fixture_merges_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = load_desired(
        Path("tests/fixtures/valid/full"), environ={"RECONCILE_FIXTURE_SSO": "abc"}
    )
    desired = result.desired
    tenant = desired.tenant
    assert tenant.sso_customer_id == "abc"
    assert (tenant.enabled, tenant.manage_groups) == (False, False)  # from the .yml file
    assert tenant.unmanaged_users is UnmanagedUsers.DEACTIVATE
    assert tenant.safety.max_deactivations == 0
    assert tenant.safety.max_deactivation_percent == 12.5
    jane = desired.users["jane.doe@example.test"]  # R1: keyed case-insensitively, trimmed
    assert jane.email == "Jane.Doe@Example.test"
    assert jane.language == "no"  # YAML 1.2: not the boolean false
    assert desired.users["joe@example.test"].display_name == "Joe Default"
    assert desired.users["it@example.test"].display_name == "${literal}"
    # members are stored as email keys, whatever case the file used
    assert desired.groups["team.one"].members == ("jane.doe@example.test", "joe@example.test")
    assert desired.groups["team-two"].members == desired.groups["team.one"].members
    assert desired.groups["team.one"].id == "1001"
    assert desired.groups["archive"].members == ()
    (warning,) = result.warnings
    assert warning.severity == "warning"
    assert str(warning).startswith("tests/fixtures/valid/full/groups.yaml:10:11: warning: ")
    assert "differ only by case" in warning.message


def test_a_single_file_and_an_empty_file_load() -> None:
    desired = load_desired(VALID / "minimal.yaml", environ={}).desired
    assert list(desired.users) == ["solo@example.test"]
    assert desired.groups["solo"].members == (email_key("Solo@example.test"),)
    assert load_desired(VALID / "empty.yaml", environ={}).desired.is_empty


def test_all_errors_of_all_files_are_reported_sorted(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("users:\n  - email: bad\n    display_name: X\n")
    (tmp_path / "a.yaml").write_text("groups:\n  g:\n    name: G\n    members: [nobody@x.test]\n")
    (tmp_path / ".hidden.yaml").write_text("this: is skipped\n")
    errors = _errors(tmp_path)
    assert len(errors) == 2
    assert errors[0].startswith(f"{tmp_path}/a.yaml:4:15: member 'nobody@x.test'")
    assert errors[1].startswith(f"{tmp_path}/b.yaml:2:12: e-mail 'bad'")


def test_a_member_whose_user_entry_is_invalid_is_not_reported_twice(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "users:\n  - email: a@x.test\n    suspended: maybe\n    display_name: A\n"
        "groups:\n  g: {name: G, members: [a@x.test]}\n"
    )
    errors = _errors(tmp_path)
    assert len(errors) == 1
    assert "suspended" in errors[0]


def test_ten_thousand_levels_of_nesting_is_a_clear_error(tmp_path: Path) -> None:
    block = tmp_path / "block.yaml"
    block.write_text("- " * 10_000 + "x\n")  # nested block lists on one line
    flow = tmp_path / "flow.yaml"
    flow.write_text("users: " + "[" * 10_000 + "]" * 10_000 + "\n")
    (error,) = _errors(block)
    assert error.startswith(f"{block}:1:129: nesting deeper than 64 levels")
    (error,) = _errors(flow)
    assert error.startswith(f"{flow}:1:")
    assert "nesting" in error


def test_a_file_over_10_mib_is_rejected_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as stream:
        stream.write(b"users: [")
        stream.truncate(10 * 1024 * 1024 + 1)  # sparse: mostly NUL bytes, never parsed
    (error,) = _errors(big)
    assert error.startswith(f"{big}:1:1: file is 10.0 MiB, over the 10 MiB limit")


def test_missing_and_empty_folders(tmp_path: Path) -> None:
    assert _errors(tmp_path / "nope") == [
        f"{tmp_path / 'nope'}: no such file or folder (give the desired-state folder)"
    ]
    (error,) = _errors(tmp_path)
    assert "no *.yaml or *.yml files" in error


def test_a_password_value_is_never_resolved_nor_echoed(tmp_path: Path) -> None:
    file = tmp_path / "u.yaml"
    file.write_text(
        "users:\n  - email: a@x.test\n    display_name: A\n    Password: ${UNSET_SECRET}\n"
        "    initial_password: hunter2\n"
    )
    errors = _errors(file)
    assert [e.split(": ", 1)[0] for e in errors] == [f"{file}:4:5", f"{file}:5:5"]
    assert all("passwords never belong in git" in e for e in errors)
    assert all("tenant.sso_customer_id" in e for e in errors)
    assert not any("hunter2" in e or "UNSET_SECRET" in e for e in errors)


def test_secret_values_from_the_environment_are_not_echoed(tmp_path: Path) -> None:
    file = tmp_path / "t.yaml"
    file.write_text("tenant:\n  enabled: ${FLAG}\n")
    with pytest.raises(DesiredStateError) as caught:
        load_desired(file, environ={"FLAG": "s3cr3t-value"})
    assert "s3cr3t-value" not in str(caught.value)
    assert "'tenant.enabled' must be true or false, not a string" in str(caught.value)


def test_environ_defaults_to_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "t.yaml"
    file.write_text("tenant:\n  sso_customer_id: ${RECONCILE_TEST_SSO}\n")
    monkeypatch.setenv("RECONCILE_TEST_SSO", "  from-env  ")
    assert load_desired(file).desired.tenant.sso_customer_id == "from-env"
    monkeypatch.delenv("RECONCILE_TEST_SSO")
    assert "RECONCILE_TEST_SSO is not set" in str(_errors(file))


def test_unreadable_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root reads anything; a folder named like a YAML file is unreadable as a file
        (tmp_path / "dir.yaml").mkdir()
        (tmp_path / "dir.yaml" / "inner.yaml").write_text("users: []\n")
        assert load_desired(tmp_path, environ={}).desired.is_empty
    else:
        file = tmp_path / "locked.yaml"
        file.write_text("users: []\n")
        file.chmod(0)
        (error,) = _errors(tmp_path)
        assert "cannot be read" in error
