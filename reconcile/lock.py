"""One apply at a time per working copy: an advisory lock file in `.reconcile/`.

Two applies that interleave writes could each undo the other's changes; the second
one refuses at once (it does not queue behind the first, which may need a human).
The OS releases the lock when the process dies, even by SIGKILL, so a crashed run
never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconcile.errors import ReconcileError

LOCK_NAME = "apply.lock"


class LockedError(ReconcileError):
    """Another apply holds the lock."""


@contextmanager
def exclusive(state_dir: Path) -> Iterator[None]:
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise LockedError(
                f"another apply is running (process {holder}, lock {path}); wait for it to "
                "finish, then run plan again"
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
