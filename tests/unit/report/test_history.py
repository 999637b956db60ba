"""The history walk on real git repositories built commit by commit in each test."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconcile.report import EventKind, History, find_repository, walk
from reconcile.report.git import Commit
from reconcile.report.history import is_desired_file
from tests.unit.report.gitrepo import GitRepo

USERS = """\
users:
  - email: ann@example.test
    display_name: Ann Lee
  - email: bob@example.test
    display_name: Bob Stone
  - email: cy@example.test
    display_name: Cy Park
"""


def groups(*entries: tuple[str, str, list[str]], extra: str = "") -> str:
    lines = ["groups:"]
    for key, name, members in entries:
        lines += [f"  {key}:", f"    name: {name}", f"    members: [{', '.join(members)}]"]
    return "\n".join(lines) + "\n" + extra


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "access")


def history(repo: GitRepo, folder: str = "ds", since: datetime | None = None) -> History:
    found = find_repository(repo.root / folder)
    assert found is not None
    return walk(found, period_start=since)


def since_of(result: History, group: str, email: str) -> Commit:
    return result.since[(group, email)]


def test_grants_name_the_commit_and_the_pull_request_of_the_merge(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test"])))
    first = repo.commit("Initial access")
    repo.git("checkout", "-q", "-b", "add-bob")
    repo.write(
        "ds/groups.yaml",
        groups(("eng", "Engineering", ["ann@example.test", "bob@example.test"])),
    )
    repo.commit("Give Bob engineering", author="Bob Stone")
    merge = repo.merge_pr("add-bob", 42, author="Rita Reviewer")
    result = history(repo)
    assert since_of(result, "eng", "ann@example.test").sha == first
    bob = since_of(result, "eng", "bob@example.test")
    assert (bob.sha, bob.pr, bob.author) == (merge, 42, "Rita Reviewer")
    assert [(e.kind, e.email, e.commit.sha) for e in result.events] == [
        (EventKind.GRANT, "ann@example.test", first),
        (EventKind.GRANT, "bob@example.test", merge),
    ]
    assert result.commits == 2  # first parent: the branch commit is seen through its merge


def test_squash_merge_subject_names_the_pull_request(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["cy@example.test"])))
    repo.commit("Give Cy engineering (#7)")
    assert since_of(history(repo), "eng", "cy@example.test").pr == 7


def test_removal_is_an_event_with_its_commit_and_ends_the_membership(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write(
        "ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test", "bob@example.test"]))
    )
    repo.commit("Initial access")
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test"])))
    removal = repo.commit("Bob left engineering (#9)")
    result = history(repo)
    assert ("eng", "bob@example.test") not in result.since
    last = result.events[-1]
    assert (last.kind, last.email, last.group_name, last.commit.sha, last.commit.pr) == (
        EventKind.REMOVAL,
        "bob@example.test",
        "Engineering",
        removal,
        9,
    )
    assert last.name == "Bob Stone"


def test_group_marked_deleted_removes_its_members(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test"])))
    repo.commit("Initial access")
    repo.write(
        "ds/groups.yaml",
        "groups:\n  eng:\n    name: Engineering\n    state: deleted\n"
        "    members: [ann@example.test]\n",
    )
    repo.commit("Retire engineering")
    result = history(repo)
    assert result.since == {}
    assert result.events[-1].kind is EventKind.REMOVAL


def test_regranted_membership_dates_from_the_new_grant(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test"])))
    repo.commit("Initial access")
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", [])))
    repo.commit("Ann leaves")
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test"])))
    back = repo.commit("Ann is back")
    assert since_of(history(repo), "eng", "ann@example.test").sha == back


def test_r7_group_key_renamed_with_renamed_from_keeps_member_dates(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", groups(("eng", "Eng", ["ann@example.test"])))
    first = repo.commit("Initial access")
    repo.write(
        "ds/groups.yaml",
        groups(("engineering", "Engineering", ["ann@example.test"]))
        .replace("    members", "    renamed_from: [Eng]\n    members"),
    )  # fmt: skip
    repo.commit("Rename the group")
    result = history(repo)
    assert since_of(result, "engineering", "ann@example.test").sha == first
    assert ("eng", "ann@example.test") not in result.since
    assert len(result.events) == 1  # the first grant only: a rename grants and removes nothing


def test_group_key_replaced_without_renamed_from_is_a_removal_and_a_grant(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", groups(("eng", "Eng", ["ann@example.test"])))
    repo.commit("Initial access")
    repo.write("ds/groups.yaml", groups(("dev", "Developers", ["ann@example.test"])))
    swap = repo.commit("A different group")
    result = history(repo)
    assert since_of(result, "dev", "ann@example.test").sha == swap
    assert [e.kind for e in result.events[-2:]] == [EventKind.REMOVAL, EventKind.GRANT]


def test_r1_email_redeclared_in_other_case_and_file_keeps_the_date(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test"])))
    first = repo.commit("Initial access")
    repo.write(
        "ds/users.yaml",
        USERS.replace("  - email: ann@example.test\n    display_name: Ann Lee\n", ""),
    )
    repo.write("ds/people/ann.yaml", "users:\n  - email: Ann@Example.test\n    display_name: Ann\n")
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["ANN@example.test"])))
    repo.commit("Ann's entry moves to her own file, written differently")
    result = history(repo)
    assert since_of(result, "eng", "ann@example.test").sha == first
    assert len(result.events) == 1
    assert result.series[-1].active_users == 1  # still declared, still bound


def test_files_split_and_moved_change_nothing(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write(
        "ds/all.yaml",
        groups(
            ("eng", "Engineering", ["ann@example.test"]),
            ("ops", "Operations", ["bob@example.test", "cy@example.test"]),
        ),
    )
    first = repo.commit("Initial access")
    repo.move("ds/all.yaml", "ds/groups/eng.yaml")
    repo.write("ds/groups/eng.yaml", groups(("eng", "Engineering", ["ann@example.test"])))
    repo.write(
        "ds/groups/ops.yaml", groups(("ops", "Operations", ["bob@example.test", "cy@example.test"]))
    )
    repo.commit("Split the groups file")
    repo.move("ds/users.yaml", "ds/people/users.yaml")
    repo.commit("Move the users")
    result = history(repo)
    assert {m: c.sha for m, c in result.since.items()} == {
        ("eng", "ann@example.test"): first,
        ("ops", "bob@example.test"): first,
        ("ops", "cy@example.test"): first,
    }
    assert len(result.events) == 3
    assert [p.memberships for p in result.series] == [3, 3, 3]


def test_invalid_yaml_in_an_old_commit_is_noted_and_skipped(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test"])))
    first = repo.commit("Initial access")
    repo.write("ds/groups.yaml", "groups: [\n  broken")
    broken = repo.commit("Oops")
    repo.write(
        "ds/groups.yaml",
        groups(("eng", "Engineering", ["ann@example.test", "bob@example.test"])),
    )
    fixed = repo.commit("Fix and add Bob")
    result = history(repo)
    assert since_of(result, "eng", "ann@example.test").sha == first  # not removed by the break
    assert since_of(result, "eng", "bob@example.test").sha == fixed
    (note,) = result.notes
    assert note.startswith(f"ds/groups.yaml at {broken[:10]} ")
    assert "YAML syntax error" in note


def test_r3_suspended_users_are_not_counted_active(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write(
        "ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test", "bob@example.test"]))
    )
    repo.commit("Initial access")
    repo.write("ds/users.yaml", USERS.replace("Bob Stone\n", "Bob Stone\n    suspended: true\n"))
    repo.commit("Suspend Bob")
    result = history(repo)
    assert [(p.active_users, p.memberships) for p in result.series] == [(2, 2), (1, 2)]


def test_period_keeps_dates_from_before_it_but_lists_only_its_events(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test"])))
    first = repo.commit("Initial access")  # 2026-01-01
    repo.write(
        "ds/groups.yaml",
        groups(("eng", "Engineering", ["ann@example.test", "cy@example.test"])),
    )
    later = repo.commit("Add Cy")  # 2026-01-02
    result = history(repo, since=datetime(2026, 1, 2, tzinfo=UTC))
    assert since_of(result, "eng", "ann@example.test").sha == first
    assert [(e.email, e.commit.sha) for e in result.events] == [("cy@example.test", later)]
    assert [(p.commit, p.memberships) for p in result.series] == [("start", 1), (later[:10], 2)]


def test_only_the_followed_folder_and_its_yaml_files_count(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test"])))
    repo.write("ds/.hidden.yaml", groups(("x", "X", ["bob@example.test"])))
    repo.write("ds/notes.txt", "groups: not yaml that matters")
    repo.write("other/groups.yaml", groups(("y", "Y", ["cy@example.test"])))
    repo.commit("Everything at once")
    repo.write("other/groups.yaml", groups(("y", "Y", [])))
    repo.commit("Outside the folder")
    result = history(repo)
    assert set(result.since) == {("eng", "ann@example.test")}
    assert result.commits == 1


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("ds/a.yaml", True),
        ("ds/sub/b.yml", True),
        ("ds/.c.yaml", False),
        ("ds/.git-crypt/d.yaml", False),
        ("ds/readme.md", False),
        ("dsx/a.yaml", False),
    ],
)
def test_desired_files_follow_the_loader(path: str, *, expected: bool) -> None:
    assert is_desired_file(path, "ds") is expected


def test_a_folder_outside_git_has_no_repository(tmp_path: Path) -> None:
    (tmp_path / "ds").mkdir()
    assert find_repository(tmp_path / "ds") is None


def test_repository_without_commits_has_an_empty_history(repo: GitRepo) -> None:
    repo.write("ds/users.yaml", USERS)
    result = history(repo)
    assert (result.commits, result.since, result.events) == (0, {}, ())


def test_a_shallow_clone_says_its_history_is_cut(repo: GitRepo, tmp_path: Path) -> None:
    repo.write("ds/users.yaml", USERS)
    repo.write("ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test"])))
    repo.commit("Initial access")
    repo.write(
        "ds/groups.yaml", groups(("eng", "Engineering", ["ann@example.test", "cy@example.test"]))
    )
    last = repo.commit("Add Cy")
    clone = tmp_path / "clone"
    repo.git("clone", "-q", "--depth", "1", repo.root.as_uri(), str(clone))
    found = find_repository(clone / "ds")
    assert found is not None
    assert found.shallow
    result = walk(found, period_start=None)
    assert since_of(result, "eng", "ann@example.test").sha == last  # dated at the cut
    (note,) = result.notes
    assert note.startswith(f"the clone is shallow: history starts at {last[:10]}")
    assert not history(repo).notes  # the full repository has nothing to say
