"""The history walk: who was granted which group in which commit, and who lost it when.

Commits are replayed oldest first. Each file keeps the contribution it made at its last
readable version; a commit re-reads only the files it changed, and the memberships of the
whole folder are a count per (group, e-mail) over the files. A membership is granted when
its count rises from zero and removed when it falls to zero, so moving members between
files, splitting a file or renaming it changes nothing, as in the loader's merge.

A group whose key disappears while a new key appears with the old name in `renamed_from`
is the same group renamed (R7): its members keep their date, and no grant or removal is
recorded for them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath

from reconcile.report.contributions import EMPTY, Contribution, read_contribution
from reconcile.report.git import BlobReader, Change, Commit, LoggedCommit, Repository, log

YAML_SUFFIXES = (".yaml", ".yml")
Membership = tuple[str, str]  # (group key, e-mail key)


class EventKind(StrEnum):
    GRANT = "grant"
    REMOVAL = "removal"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    commit: Commit
    group: str  # group key
    group_name: str
    email: str  # e-mail key
    name: str  # the user's name at that commit ("" when not declared)


@dataclass(frozen=True, slots=True)
class Point:
    """The state after a commit, for the chart."""

    date: datetime
    active_users: int
    memberships: int
    commit: str  # short hash


@dataclass(frozen=True, slots=True)
class History:
    commits: int
    since: Mapping[Membership, Commit]  # current memberships: the commit that granted each
    events: tuple[Event, ...]  # grants and removals from the period's start, oldest first
    series: tuple[Point, ...]  # one point per commit in the period (plus its start)
    notes: tuple[str, ...]  # files that could not be read at some commit


def is_desired_file(path: str, pathspec: str) -> bool:
    """What the loader reads: *.yaml/*.yml under the folder, no hidden file or folder."""
    pure = PurePosixPath(path)
    if pathspec and pure != PurePosixPath(pathspec):
        try:
            pure = pure.relative_to(pathspec)
        except ValueError:
            return False
    return pure.name.endswith(YAML_SUFFIXES) and not any(p.startswith(".") for p in pure.parts)


@dataclass(slots=True)
class _State:
    """The folder's state as of the last replayed commit."""

    files: dict[str, Contribution] = field(default_factory=dict)
    counts: Counter[Membership] = field(default_factory=Counter)
    since: dict[Membership, Commit] = field(default_factory=dict)
    group_files: Counter[str] = field(default_factory=Counter)  # group key -> declaring files
    group_names: dict[str, str] = field(default_factory=dict)
    # e-mail key -> file -> (name, inactive): a user may be declared in several files
    users: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)
    user_groups: Counter[str] = field(default_factory=Counter)  # e-mail key -> memberships
    active: set[str] = field(default_factory=set)

    def user_name(self, key: str) -> str:
        declared = self.users.get(key)
        return next(iter(declared.values()))[0] if declared else ""

    def refresh_active(self, keys: Iterable[str]) -> None:
        """R2/R3: active when bound and declared and neither suspended nor expired."""
        for key in keys:
            declared = self.users.get(key)
            if (
                declared
                and self.user_groups[key] > 0
                and not any(flag for _, flag in declared.values())
            ):
                self.active.add(key)
            else:
                self.active.discard(key)


def walk(repo: Repository, *, period_start: datetime | None) -> History:
    """Replay the folder's history; events and chart points only from `period_start`."""
    commits = log(repo)
    blobs = _read_changed(repo, commits)
    state = _State()
    events: list[Event] = []
    series: list[Point] = []
    notes: list[str] = []
    if repo.shallow and commits:
        first = commits[0].commit
        notes.append(
            f"the clone is shallow: history starts at {first.short} ({first.date:%Y-%m-%d}), "
            "so earlier grants are dated there; fetch the whole history (git fetch "
            "--unshallow, or fetch-depth: 0 in actions/checkout)"
        )
    for logged in commits:
        commit = logged.commit
        in_period = period_start is None or commit.date >= period_start
        if in_period and not series and state.files:
            series.append(_point(state, period_start or commit.date, "start"))
        changed = _apply_changes(state, logged, blobs, repo.pathspec, notes)
        granted, removed = _membership_changes(state, changed, commit)
        if in_period:
            events.extend(_events(state, commit, EventKind.REMOVAL, removed))
            events.extend(_events(state, commit, EventKind.GRANT, granted))
            series.append(_point(state, commit.date, commit.short))
    if not series and state.files:  # nothing changed in the period: its state held
        series.append(_point(state, period_start or commits[-1].commit.date, "start"))
    return History(
        commits=len(commits),
        since=dict(state.since),
        events=tuple(events),
        series=tuple(series),
        notes=tuple(notes),
    )


def _point(state: _State, date: datetime, label: str) -> Point:
    return Point(date, len(state.active), len(state.since), label)


def _events(
    state: _State, commit: Commit, kind: EventKind, memberships: Iterable[Membership]
) -> Iterable[Event]:
    for group, email in sorted(memberships):
        name = state.group_names.get(group, group)
        yield Event(kind, commit, group, name, email, state.user_name(email))


def _read_changed(
    repo: Repository, commits: list[LoggedCommit]
) -> dict[tuple[str, str], bytes | None]:
    wanted = [
        (logged.commit.sha, change.path)
        for logged in commits
        for change in logged.changes
        if change.status != "D" and is_desired_file(change.path, repo.pathspec)
    ]
    return dict(zip(wanted, BlobReader(repo).read_many(wanted), strict=True))


def _apply_changes(
    state: _State,
    logged: LoggedCommit,
    blobs: Mapping[tuple[str, str], bytes | None],
    pathspec: str,
    notes: list[str],
) -> dict[str, tuple[Contribution, Contribution]]:
    """Replace the changed files' contributions; (before, after) per file that changed."""
    changed: dict[str, tuple[Contribution, Contribution]] = {}
    for change in logged.changes:
        for path, after in _after(change, state, logged.commit, blobs, pathspec, notes):
            before = changed[path][0] if path in changed else state.files.get(path, EMPTY)
            changed[path] = (before, after)
            if after is EMPTY:
                state.files.pop(path, None)
            else:
                state.files[path] = after
    return changed


def _after(
    change: Change,
    state: _State,
    commit: Commit,
    blobs: Mapping[tuple[str, str], bytes | None],
    pathspec: str,
    notes: list[str],
) -> Iterable[tuple[str, Contribution]]:
    """(path, its contribution after the commit) for each file the change touches."""
    previous = state.files.get(change.old_path or change.path, EMPTY)
    if change.old_path is not None and change.status == "R":
        yield change.old_path, EMPTY
    if change.status == "D" or not is_desired_file(change.path, pathspec):
        yield change.path, EMPTY
        return
    data = blobs.get((commit.sha, change.path))
    read = read_contribution(data) if data is not None else "missing at this commit"
    if isinstance(read, str):
        notes.append(
            f"{change.path} at {commit.short} ({commit.date:%Y-%m-%d}) could not be read "
            f"({read}); its changes in that commit are not counted"
        )
        yield change.path, previous  # the file's last readable content still stands
        return
    yield change.path, read


def _membership_changes(
    state: _State, changed: Mapping[str, tuple[Contribution, Contribution]], commit: Commit
) -> tuple[set[Membership], set[Membership]]:
    """Update counts, users and dates; the memberships granted and removed by the commit."""
    delta: Counter[Membership] = Counter()
    touched_users: set[str] = set()
    for path, (before, after) in changed.items():
        old, new = before.memberships, after.memberships
        delta.update(dict.fromkeys(new - old, 1))
        delta.subtract(dict.fromkeys(old - new, 1))
        _update_declarations(state, path, before, after, touched_users)
    granted: set[Membership] = set()
    removed: set[Membership] = set()
    for membership, step in delta.items():
        if not step:
            continue
        was = state.counts[membership] > 0
        state.counts[membership] += step
        now = state.counts[membership] > 0
        if now and not was:
            granted.add(membership)
        elif was and not now:
            removed.add(membership)
    _carry_renamed_groups(state, granted, removed)
    for membership in removed:
        del state.since[membership]
        state.counts.pop(membership, None)
        state.user_groups[membership[1]] -= 1
    for membership in granted:
        state.since.setdefault(membership, commit)
        state.user_groups[membership[1]] += 1
    touched_users.update(email for _, email in granted | removed)
    state.refresh_active(touched_users)
    return granted, removed


def _update_declarations(
    state: _State, path: str, before: Contribution, after: Contribution, touched: set[str]
) -> None:
    for key in before.users.keys() - after.users.keys():
        declared = state.users.get(key, {})
        declared.pop(path, None)
        if not declared:
            state.users.pop(key, None)
        touched.add(key)
    for key, user in after.users.items():
        state.users.setdefault(key, {})[path] = (user.name, user.inactive)
        touched.add(key)
    for key in before.groups.keys() - after.groups.keys():
        state.group_files[key] -= 1
    for key, group in after.groups.items():
        if key not in before.groups:
            state.group_files[key] += 1
        state.group_names[key] = group.name


def _carry_renamed_groups(
    state: _State, granted: set[Membership], removed: set[Membership]
) -> None:
    """A group key replaced by one naming it in `renamed_from`: its members keep their date."""
    gone = {group for group, _ in removed if state.group_files[group] <= 0}
    if not gone:
        return
    renamed: dict[str, str] = {}  # old key -> new key
    for contribution in state.files.values():
        for group in contribution.groups.values():
            for old in gone:
                old_name = state.group_names.get(old, old)
                if old_name in group.renamed_from or old in group.renamed_from:
                    renamed[old] = group.key
    for old_key, new_key in renamed.items():
        for membership in [m for m in removed if m[0] == old_key]:
            successor = (new_key, membership[1])
            if successor in granted:
                granted.discard(successor)
                removed.discard(membership)
                state.since[successor] = state.since.pop(membership)
                state.counts.pop(membership, None)
