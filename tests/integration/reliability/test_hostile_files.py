"""Issue 8 item 4: hostile and broken desired-state files, through `validate` and `plan`.

Every file is met by the real command in a subprocess: exit 1, an error naming the file
and line and saying what to do, never a traceback; `plan` stops before it contacts the
service. A group with 100,000 members is not hostile: it validates and plans correctly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconcile.live.model import Live, LiveGroup, LiveUser
from reconcile.live.snapshot import write_snapshot
from tests.conftest import RunningEmulator
from tests.integration.e2e.conftest import Workspace

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "invalid"
OK_USER = "users:\n  - {email: ok.user@example.test, display_name: Ok User}\n"


def _write_100_mib(path: Path) -> None:
    # Valid YAML (comments) so that only the size limit can refuse it; 1 MiB per write.
    block = ("# " + "x" * 1021 + "\n") * 1024
    with path.open("w", encoding="ascii") as out:
        out.write("users:\n")
        for _ in range(100):
            out.write(block)


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# name -> (file content or writer, words the error must contain)
CASES: dict[str, tuple[bytes | None, tuple[str, ...]]] = {
    "alias_bomb": (_fixture("billion_laughs.yaml"), ("billion laughs", ":6:8:")),
    "size_100_mib": (None, ("100.0 MiB", "over the 10 MiB limit", "split it")),
    "nesting_flow_lists": (b"users: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", ("nesting",)),
    "nesting_flow_maps": (b"users: " + b"{a: " * 10_000 + b"}" * 10_000 + b"\n", ("nesting",)),
    "duplicate_key": (_fixture("duplicate_key.yaml"), ("duplicate key 'first_name'", ":6:5:")),
    "non_utf8": (_fixture("non_utf8.yaml"), ("not UTF-8", "save the file as UTF-8")),
    "python_tag": (_fixture("python_tag.yaml"), ("is not allowed", "no Python objects")),
    "python_object_new": (
        b"users:\n  - !!python/object/new:os.system [echo hacked]\n",
        ("is not allowed",),
    ),
    "invalid_email": (_fixture("email_syntax.yaml"), ("jane.doe@example@test", "'@'")),
    "emails_differ_by_case": (
        _fixture("duplicate_email_case.yaml"),
        ("declared twice", "ignoring case"),
    ),
    "lookalike_email": (
        _fixture("email_confusable.yaml"),
        ("U+0430 CYRILLIC SMALL LETTER A", "plain ASCII"),
    ),
    "markup_in_keys": (
        b"users:\n  - email: a@example.test\n    display_name: A\n    '[/]': 1\n",
        ("unknown key '[/]'",),
    ),
}


def _workspace(tmp_path: Path, emulator: RunningEmulator, *cases: str) -> Workspace:
    ws = Workspace(root=tmp_path, emulator=emulator)
    ws.desired.mkdir()
    for case in cases:
        content, _ = CASES[case]
        target = ws.desired / f"{case}.yaml"
        if content is None:
            _write_100_mib(target)
        else:
            target.write_bytes(content)
    return ws


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_every_hostile_file_is_a_clear_error_never_a_traceback(
    tmp_path: Path, emulator: RunningEmulator, command: str
) -> None:
    # One folder holds every hostile file: the loader reports each file's errors, so one
    # run per command checks them all (a subprocess costs about a second).
    ws = _workspace(tmp_path, emulator, *CASES)
    result = ws.run(command, "desired_state")
    both = result.stdout + result.stderr
    assert result.code == 1, both
    assert "Traceback" not in both, both
    lines = result.stderr.splitlines()
    for case, (_, needles) in CASES.items():
        # Each file has its own error line, naming file:line:column and what to do.
        mine = [line for line in lines if f"{case}.yaml:" in line]
        assert mine, f"no error for {case}: {both}"
        for needle in needles:
            assert any(needle in line for line in mine), f"{case}: {needle!r} not in {mine}"
    if command == "plan":  # refused before the service was asked anything
        assert emulator.control.requests(limit=0)["total"] == 0


def test_lookalike_emails_are_reported_not_merged(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    ws = Workspace(root=tmp_path, emulator=emulator)
    ws.write(
        "users.yaml",
        "users:\n"
        "  - {email: jane.doe@example.test, display_name: Jane Doe}\n"
        "  - {email: j\u0430ne.doe@example.test, display_name: Jane Doe}\n"
        "groups:\n  team: {name: Team, members: [jane.doe@example.test]}\n",
    )
    result = ws.run("validate", "desired_state")
    assert result.code == 1
    assert "users.yaml:3:" in result.stderr
    assert "U+0430" in result.stderr
    assert "declared twice" not in result.stderr  # two different addresses, not one


def _big_state(ws: Workspace, members: int) -> None:
    users = [f"  - {{email: m{i:06d}@example.test, display_name: M {i}}}" for i in range(members)]
    refs = [f"      - m{i:06d}@example.test" for i in range(members)]
    ws.write("users.yaml", "users:\n" + "\n".join(users) + "\n")
    ws.write(
        "groups.yaml",
        "groups:\n  everyone:\n    name: Everyone\n    members:\n" + "\n".join(refs) + "\n",
    )


def test_a_group_with_100000_members_validates_and_plans_correctly(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    members = 100_000
    ws = Workspace(root=tmp_path, emulator=emulator)
    _big_state(ws, members)
    valid = ws.run("validate", "desired_state")
    assert valid.code == 0, valid.stderr
    assert f"{members} users ({members} bound to a group), 1 groups" in valid.stdout + valid.stderr

    # Live: everyone exists but 3 people; the group lacks 7 members and holds 2 ex-members.
    missing = {5, 50_000, 99_999}
    outside = {10, 20, 30, 40, 60_000, 70_000, 80_000}
    users = [
        LiveUser(id=f"u{i}", email=f"m{i:06d}@example.test", display_name=f"M {i}", active=True)
        for i in range(members)
        if i not in missing
    ]
    users += [
        LiveUser(id=f"x{i}", email=f"ex{i}@example.test", display_name=f"X {i}", active=True)
        for i in range(2)
    ]
    group = LiveGroup(
        id="g1",
        name="Everyone",
        member_ids=frozenset(
            [u.id for u in users if u.id.startswith("u") and int(u.id[1:]) not in outside]
            + ["x0", "x1"]
        ),
    )
    write_snapshot(
        Live.build(users=users, groups=[group]),
        tmp_path / "live.json",
        target_label="https://scim.example.test/scim/v2",
    )
    planned = ws.run("plan", "desired_state", "--live", "live.json", "--format", "json")
    assert planned.code == 0, planned.stderr
    ops = planned.json()["operations"]
    creates = sorted(op["email"] for op in ops if op["action"] == "create_user")
    assert creates == sorted(f"m{i:06d}@example.test" for i in missing)
    (update,) = [op for op in ops if op["action"] == "update_group"]
    assert sorted(update["add_members"]) == sorted(
        f"m{i:06d}@example.test" for i in missing | outside
    )  # R12: the 7 outside plus the 3 being created
    assert sorted(update["remove_members"]) == ["ex0@example.test", "ex1@example.test"]
    assert len(ops) == len(missing) + 1  # R18: nothing for the 99,990 unchanged members


def test_hostile_files_leave_the_working_copy_untouched(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    ws = _workspace(tmp_path, emulator, "alias_bomb")
    shutil.copy(FIXTURES / "python_tag.yaml", ws.desired / "python_tag.yaml")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for command in ("validate", "plan"):
        assert ws.run(command, "desired_state").code == 1
    after = sorted(
        p.relative_to(tmp_path) for p in tmp_path.rglob("*") if ".reconcile" not in p.parts
    )
    assert after == before
