"""The fast path over a folder's large files, half of it in a helper process where it pays.

Two steps, as the loader (loader.py) takes them, each shared with the helper (parallel.py):

1. `LargeFiles(texts)`: the rows (rows.py) of every large file the fast reader can read.
   The helper reads its share of the files and answers with their users only; we read ours.
2. `resolve(users)`, once the loader has merged every file's users: the members of each
   group resolved to user keys (rules.resolve_members). The helper resolves its own files'
   groups against the declared e-mails we send it, and answers with their rows and, for
   each member, the position of its e-mail in what we sent; we resolve ours meanwhile.

The merge then only sorts and builds. Whatever the helper fails to answer, we do here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from reconcile.desired.fast_reader import FAST_MIN_CHARS
from reconcile.desired.model import DesiredUser
from reconcile.desired.parallel import Helper, may_fork, split
from reconcile.desired.places import DeferredPlaces
from reconcile.desired.rows import FileRows, GroupRow, fast_rows
from reconcile.desired.rules import FileEntries, as_declared, resolve_members


class LargeFiles:
    def __init__(self, texts: Sequence[str | None]) -> None:
        self._texts = texts
        large = [i for i, t in enumerate(texts) if t is not None and len(t) >= FAST_MIN_CHARS]
        self._rows: dict[int, FileRows | None] = {}
        self._entries: dict[int, FileEntries] = {}
        self._theirs: list[int] = []  # the helper's files, their groups still to come
        self._helper: Helper | None = None
        if len(large) >= 2 and may_fork(sum(len(self._text(i)) for i in large)):
            theirs, ours = split([_cost(self._text(i)) for i in large])
            kept: dict[int, FileRows | None] = {}  # filled in the helper, by `_read`
            helped = [large[n] for n in theirs]
            self._helper = Helper(
                first=partial(_read, texts, helped, kept), second=partial(_resolve, kept)
            )
            large = [large[n] for n in ours]
            self._theirs = helped
        for index in large:
            self._rows[index] = fast_rows(self._text(index))
        if self._helper is not None:
            self._take_users(self._helper.answer())

    def entries(self, index: int, display: str, environ: Mapping[str, str]) -> FileEntries | None:
        """The entries of file `index` if the fast reader read it; None: read it exactly."""
        rows = self._rows.get(index)
        if rows is None:
            return None
        users, groups = rows
        entries = FileEntries(DeferredPlaces(display, self._text(index), environ), users, groups)
        self._entries[index] = entries
        return entries

    def resolve(self, users: dict[str, DesiredUser]) -> None:
        """Resolve the members of every group of the entries handed out (step 2)."""
        declared = as_declared(users)
        helper = self._helper if self._theirs else None
        if helper is not None:
            helper.ask(list(declared))
        for index, entries in self._entries.items():
            if index not in self._theirs:
                entries.resolved[:] = resolve_members(entries.groups, declared.get)
        if helper is None:
            return
        answer = helper.answer()
        asked = sorted(index for index in self._theirs if self._rows.get(index) is not None)
        if not (type(answer) is dict and sorted(answer) == asked):
            answer = None  # failed, or not what was asked: read and resolve here
        keys = list(declared.values())  # in the order of the e-mails sent
        for index in self._theirs:
            if index not in self._entries:
                continue  # the loader read it exactly after all
            entries = self._entries[index]
            if answer is None:
                rows = fast_rows(self._text(index))
                groups: list[GroupRow] = rows[1] if rows is not None else []
                resolved = resolve_members(groups, declared.get)
            else:
                groups, positions = answer[index]
                resolved = [
                    None if found is None else list(map(keys.__getitem__, found))
                    for found in positions
                ]
            entries.groups[:] = groups
            entries.resolved[:] = resolved

    def close(self) -> None:
        if self._helper is not None:
            self._helper.close()
            self._helper = None

    def _take_users(self, answer: Any) -> None:
        """Step 1's answer: per file of the helper, its users' rows, or None (read it
        exactly); failed: we read those files here."""
        if not (type(answer) is dict and sorted(answer) == sorted(self._theirs)):
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


def _cost(text: str) -> int:
    """About how long `text` takes to read: a mapping key (every `:`) costs as much as
    ~80 characters of a plain list (measured on users files beside groups files)."""
    return len(text) + 80 * text.count(":")


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
