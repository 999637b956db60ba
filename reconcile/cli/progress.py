"""Progress while applying: a rich bar on a terminal, timestamped lines in CI logs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from reconcile.apply import Outcome, Status
from reconcile.cli.common import stderr


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def log_line(message: str) -> None:
    """A plain progress line on stderr (timestamped when not on a terminal)."""
    prefix = "" if stderr.is_terminal else f"{_stamp()} "
    stderr.print(f"{prefix}{message}", markup=False, highlight=False)


@contextmanager
def fetching(label: str) -> Iterator[None]:
    """While the live state is read: a spinner on a terminal, one log line otherwise."""
    if stderr.is_terminal:
        with stderr.status(f"reading live state from {label}", spinner="dots"):
            yield
        return
    log_line(f"reading live state from {label}")
    yield


class ApplyProgress:
    """Call `advance(outcome)` per finished operation; use as a context manager."""

    def __init__(self, *, total: int) -> None:
        self.total = total
        self.done = 0
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        if stderr.is_terminal:
            self._bar = Progress(
                TextColumn("applying"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stderr,
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("apply", total=self.total)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)

    def advance(self, outcome: Outcome) -> None:
        self.done += 1
        op = outcome.operation
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)
            if outcome.status is not Status.DONE:
                self._bar.console.print(
                    f"{outcome.status}: {op.action} {outcome.subject}: {outcome.message}",
                    markup=False,
                    highlight=False,
                )
            return
        detail = f": {outcome.message}" if outcome.message else ""
        log_line(
            f"[{self.done}/{self.total}] {outcome.status} {op.action} {outcome.subject}{detail}"
        )
