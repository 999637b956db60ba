"""Where each entry of one desired-state file is written, as deferred `Location`s.

The loader records every user and group with its place, but a place is looked up only when
a message (or a plan, or a report) reads it: on a valid 100k-user folder almost none is.
`FilePlaces` gets the file's marks (character offsets, see yaml_reader.py) from `marks()`:

- for a file read by the exact reader, the marks it already has;
- for a file read by the fast reader (fast_reader.py), which keeps none, `marks()` reads
  that file's text again with the exact reader, once, the first time a place is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from reconcile.desired.model import Location
from reconcile.desired.yaml_reader import LineIndex, YamlMap, YamlSeq

Marks = tuple[YamlMap | None, LineIndex]


class FilePlaces:
    """Deferred locations of one file's users (by index) and groups (by key)."""

    __slots__ = ("_marks", "_source", "file")

    def __init__(self, file: str, source: Callable[[], Marks]) -> None:
        self.file = file
        self._source = source
        self._marks: Marks | None = None

    @classmethod
    def of(cls, file: str, root: YamlMap, lines: LineIndex) -> FilePlaces:
        """The places of a file the exact reader has read (its marks are at hand)."""
        return cls(file, lambda: (root, lines))

    def _position(self, path: tuple[Any, ...]) -> tuple[int, int]:
        if self._marks is None:
            self._marks = self._source()
        root, lines = self._marks
        return lines.position(_offset(root, path))

    def _at(self, *path: Any) -> Location:
        return Location.deferred(self.file, partial(self._position, path))

    def user(self, index: int) -> Location:
        """The user's mapping (its `- ` item)."""
        return self._at("users", index)

    def user_value(self, index: int, name: str) -> Location:
        return self._at("users", index, name)

    def group(self, key: str) -> Location:
        """The group's key."""
        return self._at("groups", key)

    def group_value(self, key: str, name: str) -> Location:
        return self._at("groups", key, name)

    def group_item(self, key: str, name: str, index: int) -> Location:
        """Item `index` of the group's list `name` (members, renamed_from)."""
        return self._at("groups", key, name, index)

    def member_expires(self, key: str, index: int) -> Location:
        """Where member `index` (a `{email, expires}` mapping) writes its expiry."""
        return self._at("groups", key, "members", index, "expires")


def _offset(root: YamlMap | None, path: tuple[Any, ...]) -> int:
    """The mark of `path`: a key's mark for a group, an item's for a list index, a value's
    for a mapping key; where the path stops matching, the mark of the deepest node found."""
    if root is None:
        return 0
    node: Any = root
    mark = root.mark
    last = len(path) - 1
    for depth, step in enumerate(path):
        if isinstance(node, YamlMap) and step in node:
            is_group_key = depth == 1 and path[0] == "groups" and depth == last
            mark = node.key_marks[step] if is_group_key else node.value_marks[step]
            node = node[step]
        elif isinstance(node, YamlSeq) and isinstance(step, int) and step < len(node):
            mark = node.item_marks[step]
            node = node[step]
        else:
            break
    return mark
