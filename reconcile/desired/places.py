"""Where each entry of one desired-state file is written, as deferred `Location`s.

The loader records every user and group with its place, but a line and column are worked
out only when a message (or a plan, or a report) reads them: on a valid 100k-user folder
almost none is. Two kinds of file:

- `MarkedPlaces`: a file the exact reader read. The mark (character offset) of each place
  is looked up at once; a location keeps only that offset and the file's `LineIndex`, not
  the marked tree.
- `DeferredPlaces`: a file the fast reader (fast_reader.py) read, which keeps no marks. The
  first place asked for reads the file's text again with the exact reader, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from reconcile.desired.model import Location
from reconcile.desired.yaml_reader import LineIndex, YamlMap, YamlSeq, read_yaml


class FilePlaces:
    """Deferred locations of one file's users (by index) and groups (by key)."""

    __slots__ = ("file",)

    def __init__(self, file: str) -> None:
        self.file = file

    def _at(self, *path: Any) -> Location:
        raise NotImplementedError

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


class MarkedPlaces(FilePlaces):
    """A file read by the exact reader: its marks are at hand."""

    __slots__ = ("_lines", "_root")

    def __init__(self, file: str, root: YamlMap, lines: LineIndex) -> None:
        super().__init__(file)
        self._root = root
        self._lines = lines

    def _at(self, *path: Any) -> Location:
        return Location.deferred(
            self.file, partial(self._lines.position, _offset(self._root, path))
        )


class DeferredPlaces(FilePlaces):
    """A file read by the fast reader: marked again, exactly, when a place is first needed."""

    __slots__ = ("_environ", "_marked", "_text")

    def __init__(self, file: str, text: str, environ: Mapping[str, str]) -> None:
        super().__init__(file)
        self._text = text
        self._environ = environ
        self._marked: tuple[YamlMap | None, LineIndex] | None = None

    def _at(self, *path: Any) -> Location:
        return Location(self.file, 0, 0, partial(self._position, path))

    def user(self, index: int) -> Location:
        # the same as FilePlaces.user, one call less: the loader asks for 100k of these
        return Location(self.file, 0, 0, partial(self._position, ("users", index)))

    def _position(self, path: tuple[Any, ...]) -> tuple[int, int]:
        if self._marked is None:
            result = read_yaml(self._text, environ=self._environ)
            root = result.root if isinstance(result.root, YamlMap) else None
            self._marked = (root, result.lines)
        root, lines = self._marked
        return lines.position(_offset(root, path))


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
