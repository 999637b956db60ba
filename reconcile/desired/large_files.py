"""The fast path over a folder's large files, half of it in a helper process where it pays.

Two steps, as the loader (loader.py) takes them, each shared with the helper (parallel.py):

1. `LargeFiles(texts)`: the rows (rows.py) of every large file the fast reader can read.
   The helper reads its share of the files and answers with their users only; we read ours.
2. `share_users(files)`, once every file's users are read, then `resolve(users)`, once the
   loader has merged them: the members of each group resolved to user keys
   (rules.resolve_members). The helper resolves its own files' groups against the declared
   e-mails `share_users` sends it (the first declaration of each key, as the merge keeps
   it) while we merge the users and resolve our groups; it answers with their rows and,
   for each member, the position of its e-mail in what we sent.

The merge then only sorts and builds. Whatever the helper fails to answer, we do here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from reconcile.desired.fast_reader import FAST_MIN_CHARS
from reconcile.desired.model import DesiredUser
from reconcile.desired.parallel import Helper, may_fork, split
from reconcile.desired.places import DeferredPlaces
from reconcile.desired.rows import FileRows, GroupRow, fast_rows
from reconcile.desired.rules import FileEntries, as_declared, resolve_members

logger = logging.getLogger(__name__)

# The helper's part of the reading: a little under half, as we then merge the users while it
# resolves most of the members (measured at 100k users, BENCHMARKS.md).
HELPER_SHARE = 0.45
# The least time the helper is waited for (see `_patience`).
PATIENCE_SECONDS = 30.0


class LargeFiles:
    def __init__(self, texts: Sequence[str | None]) -> None:
        self._texts = texts
        large = [i for i, t in enumerate(texts) if t is not None and len(t) >= FAST_MIN_CHARS]
        self._rows: dict[int, FileRows | None] = {}
        self._entries: dict[int, FileEntries] = {}
        self._theirs: list[int] = []  # the helper's files, their groups still to come
        self._helper: Helper | None = None
        self._asked: float | None = None  # when step 2's question was sent
        self._keys: list[str] = []
        if len(large) >= 2 and may_fork(sum(len(self._text(i)) for i in large)):
            self._helper, large = self._start_helper(large)
        started = time.monotonic()
        try:
            for index in large:
                self._rows[index] = fast_rows(self._text(index))
            if self._helper is not None:
                within = _patience(time.monotonic() - started)
                self._take_users(self._helper.answer(within=within))
        except BaseException:  # Ctrl-C, or a bug of ours: the loader cannot close us yet
            self.close()
            raise

    def _start_helper(self, large: list[int]) -> tuple[Helper | None, list[int]]:
        """The helper, forked for its share of `large`, and the files left to us."""
        measures = [_measure(self._text(i)) for i in large]
        theirs, ours = split(
            [cost for cost, _ in measures], [share for _, share in measures], HELPER_SHARE
        )
        if not (theirs and ours):
            return None, large  # one file is nearly all of the work: no use
        kept: dict[int, FileRows | None] = {}  # filled in the helper, by `_read`
        helped = [large[n] for n in theirs]
        try:
            helper = Helper(
                first=partial(_read, self._texts, helped, kept), second=partial(_resolve, kept)
            )
        except OSError as exc:  # no process to be had (a limit): all of it here
            logger.debug("no helper process (%s): reading every file here", exc)
            return None, large
        self._theirs = helped
        logger.debug("a helper process reads %d of the %d large files", len(helped), len(large))
        return helper, [large[n] for n in ours]

    def offered(self, index: int) -> bool:
        """Whether file `index` was large enough to be offered to the fast reader."""
        return index in self._rows

    def entries(self, index: int, display: str, environ: Mapping[str, str]) -> FileEntries | None:
        """The entries of file `index` if the fast reader read it; None: read it exactly."""
        rows = self._rows.get(index)
        if rows is None:
            return None
        users, groups = rows
        entries = FileEntries(DeferredPlaces(display, self._text(index), environ), users, groups)
        self._entries[index] = entries
        return entries

    def share_users(self, files: Sequence[FileEntries]) -> None:
        """Step 2's question, as soon as every file's users are read: the helper resolves
        its groups against every declared e-mail while we merge the users."""
        if self._helper is None or not self._theirs:
            return
        # The first declaration of each key, as `merge_users` keeps it: `as_declared` of
        # the merged users, before the merge.
        declared: dict[str, str] = {}
        for file in files:
            for row in file.users:
                declared.setdefault(row[0], row[1])
        self._keys = list(declared)
        self._helper.ask(list(declared.values()))
        self._asked = time.monotonic()

    def resolve(self, users: dict[str, DesiredUser]) -> None:
        """Resolve the members of every group of the entries handed out (step 2)."""
        known = as_declared(users).get
        for index, entries in self._entries.items():
            if index not in self._theirs:
                entries.resolved[:] = resolve_members(entries.groups, known)
        if not self._theirs:
            return
        answer = None
        if self._helper is not None and self._asked is not None:
            within = _patience(time.monotonic() - self._asked)
            answer = self._helper.answer(within=within)
        if not self._answers_resolution(answer):
            logger.debug("the helper did not resolve its groups: reading them here")
            answer = None  # failed, or not what was asked
        keys = self._keys
        for index in self._theirs:
            if index not in self._entries:
                continue  # the loader read it exactly after all
            entries = self._entries[index]
            if answer is None:
                rows = fast_rows(self._text(index))
                groups: list[GroupRow] = rows[1] if rows is not None else []
                resolved = resolve_members(groups, known)
            else:
                groups, positions = answer[index]
                resolved = [
                    None if found is None else list(map(keys.__getitem__, found))
                    for found in positions
                ]
            entries.groups[:] = groups
            entries.resolved[:] = resolved

    def _answers_resolution(self, answer: Any) -> bool:
        """Whether step 2's answer holds, for each file asked, a resolution per group."""
        asked = sorted(index for index in self._theirs if self._rows.get(index) is not None)
        if not (type(answer) is dict and sorted(answer) == asked):
            return False
        return all(len(groups) == len(found) for groups, found in answer.values())

    def close(self) -> None:
        if self._helper is not None:
            self._helper.close()
            self._helper = None

    def _take_users(self, answer: Any) -> None:
        """Step 1's answer: per file of the helper, its users' rows, or None (read it
        exactly); failed: we read those files here."""
        if not (type(answer) is dict and sorted(answer) == sorted(self._theirs)):
            logger.debug("the helper did not read its files: reading them here")
            for index in self._theirs:
                self._rows[index] = fast_rows(self._text(index))
            self._theirs = []
            self.close()
            return
        for index in self._theirs:
            users = answer[index]
            self._rows[index] = None if users is None else (users, [])

    def _text(self, index: int) -> str:
        text = self._texts[index]
        assert text is not None
        return text


def _patience(ours: float) -> float:
    """How long to wait for the helper once we have done our part in `ours` seconds: its
    part is about as large, so a helper this late is stuck (stopped, say), not slow."""
    return PATIENCE_SECONDS + 10 * ours


def _measure(text: str) -> tuple[int, float]:
    """(about how long `text` takes to read, about which part of it is member lists).

    Cost: a mapping key (every `:`) costs as much as ~80 characters of a plain list
    (measured on users files beside groups files). Member lists: the lines without a `:`.
    The helper takes the files made most of them: it resolves their members while we merge
    the users, and the users it reads come back to us at a cost (step 1's answer).
    """
    keys = text.count(":")
    lines = text.count("\n") + 1
    return len(text) + 80 * keys, max(lines - keys, 0) / lines


# In the helper process:


def _read(texts: Sequence[str | None], indexes: list[int], kept: dict[int, Any]) -> Any:
    """Step 1: read the files, keep their rows, answer with their users."""
    for index in indexes:
        text = texts[index]
        kept[index] = fast_rows(text) if text is not None else None
    return {index: None if rows is None else rows[0] for index, rows in kept.items()}


def _resolve(kept: dict[int, FileRows | None], emails: list[str]) -> Any:
    """Step 2: per file, its group rows and their members as positions in `emails`. A
    resolved group's member lists are left out (we have no use for them, and they are most
    of the answer), unless some members expire (their keys are worked out from them)."""
    position = {email: n for n, email in enumerate(emails)}.get
    answer: dict[int, tuple[list[GroupRow], list[Any]]] = {}
    for index, rows in kept.items():
        if rows is None:
            continue
        groups = rows[1]
        resolved = resolve_members(groups, position)
        answer[index] = (
            [
                (*row[:5], [], [], *row[7:]) if found is not None and not row[7] else row
                for row, found in zip(groups, resolved, strict=True)
            ],
            resolved,
        )
    return answer
