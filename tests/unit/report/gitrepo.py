"""A throwaway git repository built commit by commit inside a test."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_COMMITTER_NAME": "Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.test",
}


class GitRepo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.days = 0
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, author: str = "Alex Admin") -> str:
        date = f"2026-01-{1 + self.days:02d}T10:00:00+00:00"
        env = {
            **os.environ,
            **_ENV,
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": f"{author.split()[0].lower()}@example.test",
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def remove(self, path: str) -> None:
        self.git("rm", "-q", path)

    def move(self, old: str, new: str) -> None:
        (self.root / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)

    def commit(self, subject: str, *, author: str = "Alex Admin") -> str:
        """Commit everything; one day later than the previous commit. Returns the hash."""
        self.git("add", "-A")
        self.git("commit", "-q", "-m", subject, author=author)
        self.days += 1
        return self.git("rev-parse", "HEAD")

    def merge_pr(self, branch: str, number: int, *, author: str = "Rita Reviewer") -> str:
        """Merge `branch` into main with a merge commit naming pull request `number`."""
        self.git("checkout", "-q", "main")
        self.git(
            "merge", "-q", "--no-ff", branch, "-m",
            f"Merge pull request #{number} from example/{branch}", author=author,
        )  # fmt: skip
        self.days += 1
        return self.git("rev-parse", "HEAD")
