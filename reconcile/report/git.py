"""Reading a desired-state folder's history with git itself (no network, no library).

`git log` lists the commits that changed the folder, oldest first, with the files each one
changed (`--name-status -M`, so a moved file reads as one rename); `git cat-file --batch`
then hands over the changed files' contents at those commits through one process (the
batch form of `git show COMMIT:path`: one process for thousands of files, not one each).

History follows the first parent: on a repository merged through pull requests that is the
main line, where each merge commit carries the change as it was approved and names the PR.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconcile.errors import ReconcileError

_RECORD = "\x1e"  # starts each commit in the log output (never in a subject or path)
_FORMAT = "%x1e%H%x00%cI%x00%an%x00%ae%x00%s%x00"
_MERGE_PR = re.compile(r"^Merge pull request #(\d+) from ")
_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")
# A clean environment for git: no pager, no prompts, no user config changing the output.
_GIT_ENV = {"GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


class GitError(ReconcileError):
    """git failed or is missing; the message says what git answered."""


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    date: datetime  # committer date: when the change landed on this line
    author: str
    author_email: str
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:10]

    @property
    def pr(self) -> int | None:
        """The pull request the commit names: a merge commit's or a squash merge's subject."""
        match = _MERGE_PR.match(self.subject) or _SQUASH_PR.search(self.subject)
        return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class Change:
    """One changed file: status A/M/D/R/T, the path before (renames) and after."""

    status: str
    path: str  # the path at this commit (for D: the deleted path)
    old_path: str | None = None  # set for renames and copies


@dataclass(frozen=True, slots=True)
class LoggedCommit:
    commit: Commit
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class Repository:
    """A git work tree and the folder (pathspec, relative to its top) to follow."""

    top: Path
    pathspec: str  # "" for the whole repository
    shallow: bool = False  # a shallow clone: history before its first commit is missing


def _run(args: Sequence[str], *, cwd: Path, stdin: bytes | None = None) -> bytes:
    env = {**os.environ, **_GIT_ENV}
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, env=env, check=False
        )
    except OSError as exc:
        raise GitError(f"cannot run git ({exc.strerror or exc}); install git") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else done.returncode}")
    return done.stdout


def find_repository(path: Path) -> Repository | None:
    """The repository holding `path`, or None when it is not inside one (or git is absent)."""
    if shutil.which("git") is None:
        return None
    folder = path if path.is_dir() else path.parent
    try:
        answer = _run(
            ["rev-parse", "--is-shallow-repository", "--show-toplevel"], cwd=folder
        ).decode("utf-8", "surrogateescape")
    except GitError as exc:
        if "not a git repository" in str(exc):
            return None
        raise  # e.g. "dubious ownership": git's own words say what to do
    shallow, top = answer.rstrip("\n").split("\n", 1)
    top_path = Path(top)
    relative = Path(os.path.realpath(path)).relative_to(os.path.realpath(top_path))
    return Repository(
        top=top_path,
        pathspec=relative.as_posix() if relative.parts else "",
        shallow=shallow == "true",
    )


def log(repo: Repository) -> list[LoggedCommit]:
    """Every commit that changed the followed folder, oldest first, with its changes."""
    args = [
        "log",
        "--reverse",
        "--first-parent",
        "--diff-merges=first-parent",
        "-M",
        "--name-status",
        "-z",
        f"--format={_FORMAT}",
        "--",
        f":(top){repo.pathspec}" if repo.pathspec else ":(top)",
    ]
    try:
        output = _run(args, cwd=repo.top)
    except GitError as exc:
        if "does not have any commits" in str(exc):
            return []
        raise
    text = output.decode("utf-8", "surrogateescape")
    return [_parse_record(record) for record in text.split(_RECORD) if record.strip("\n\0")]


def _parse_record(record: str) -> LoggedCommit:
    fields = record.split("\0")
    sha, date, author, email, subject = fields[:5]
    commit = Commit(
        sha=sha,
        date=datetime.fromisoformat(date),
        author=author,
        author_email=email,
        subject=subject,
    )
    tokens = [token.lstrip("\n") for token in fields[5:]]
    return LoggedCommit(commit=commit, changes=tuple(_changes(tokens)))


def _changes(tokens: list[str]) -> Iterator[Change]:
    items = iter(token for token in tokens if token)
    for status in items:
        kind = status[0]
        if kind in "RC":
            old, new = next(items), next(items)
            yield Change(status=kind, path=new, old_path=old)
        else:
            yield Change(status=kind, path=next(items))


class BlobReader:
    """File contents at commits, through one `git cat-file --batch` process."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo

    def read_many(self, wanted: Sequence[tuple[str, str]]) -> list[bytes | None]:
        """The contents of each (commit, path); None for a path missing at that commit."""
        if not wanted:
            return []
        request = "".join(f"{sha}:{path}\n" for sha, path in wanted).encode(
            "utf-8", "surrogateescape"
        )
        output = _run(["cat-file", "--batch"], cwd=self._repo.top, stdin=request)
        return list(_split_batch(output, len(wanted)))


def _split_batch(output: bytes, count: int) -> Iterator[bytes | None]:
    position = 0
    for _ in range(count):
        end = output.index(b"\n", position)
        header = output[position:end].split(b" ")
        position = end + 1
        if header[-1] == b"missing" or len(header) < 3:
            yield None
            continue
        size = int(header[2])
        yield output[position : position + size]
        position += size + 1  # the content is followed by a newline
