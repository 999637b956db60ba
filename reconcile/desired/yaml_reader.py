"""A strict, position-keeping YAML reader for the desired state.

Why not `yaml.safe_load`: it silently keeps the last of two duplicate keys, expands
aliases without bound ("billion laughs"), recurses (a deeply nested file ends in a
RecursionError), resolves YAML 1.1 surprises (`no` -> False, `2024-01-01` -> date) and
forgets where each value came from. This module consumes libyaml's event stream (the C
parser, fast) and builds plain dicts/lists itself, iteratively:

- every mapping and sequence remembers the position of each key and value;
- duplicate keys, unknown tags, python tags, merge keys and complex keys are errors;
- scalars follow the YAML 1.2 core schema (only true/false are booleans, no dates);
- alias expansion is bounded by the size of the document, nesting by `MAX_DEPTH`;
- `${VAR}` references in string values are resolved (see env.py);
- `password` keys are reported and dropped without reading their value.

Positions are kept as character offsets (one int per node: keeping libyaml's mark objects
doubles the time on big files); `LineIndex` turns them into line and column on demand.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from reconcile.desired.env import EnvError, resolve_env

MAX_DEPTH = 64  # the format needs 5 levels; deeper input is a mistake or an attack
MIN_ALIAS_BUDGET = 10_000  # nodes that aliases may add, at least (more for big files)

_STR_TAGS = frozenset({"!", "tag:yaml.org,2002:str"})
_MAP_TAGS = frozenset({"tag:yaml.org,2002:map"})
_SEQ_TAGS = frozenset({"tag:yaml.org,2002:seq"})
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+\Z")
_INT_OCT = re.compile(r"0o[0-7]+\Z")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOATS = {
    ".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
    "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
    "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}  # fmt: skip
_NUMBER_START = frozenset("0123456789+-.")
_WORDS = _NULLS | frozenset(_BOOLS)  # plain scalars that are not strings

# Keys that mean "a password": reported wherever they appear, their value never read.
_PASSWORD_KEYS = frozenset({"password", "passwd", "passwords", "initialpassword", "userpassword"})
PASSWORD_MESSAGE = (
    "'{key}' key: passwords never belong in git. Users sign in through SSO: set "
    "tenant.sso_customer_id (for example ${{TEAMVIEWER_SSO_CUSTOMER_ID}}) and new users "
    "are created SSO-enabled"
)


class LineIndex:
    """Turns a character offset into a 1-based (line, column); built only when needed."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def position(self, offset: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = [0, *accumulate(len(line) + 1 for line in self._text.split("\n"))]
        line = bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1


class YamlMap(dict[Any, Any]):
    """A mapping that remembers where (character offsets) it, each key and value start."""

    __slots__ = ("key_marks", "mark", "value_marks")

    def __init__(self, mark: int) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks: dict[Any, int] = {}
        self.value_marks: dict[Any, int] = {}


class YamlSeq(list[Any]):
    """A sequence that remembers where (character offsets) it and each item start."""

    __slots__ = ("item_marks", "mark")

    def __init__(self, mark: int) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks: list[int] = []


@dataclass(frozen=True, slots=True)
class YamlProblem:
    line: int  # 1-based
    column: int  # 1-based
    message: str


@dataclass(slots=True)
class ReadResult:
    """The document's root (None for an empty file), every problem, and the line index."""

    root: Any
    lines: LineIndex
    problems: list[YamlProblem] = field(default_factory=list)


class _Abort(Exception):
    """Stop reading this file: the rest cannot be trusted (depth, aliases, syntax)."""


def _resolve_plain(value: str) -> Any:
    """YAML 1.2 core schema for an untagged plain scalar."""
    if not value or value[0] in _NUMBER_START or value in _NULLS or value in _BOOLS:
        if value in _NULLS:
            return None
        if value in _BOOLS:
            return _BOOLS[value]
        if _INT.match(value):
            return int(value)
        if _FLOAT.match(value):
            return float(value)
        if value in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[value]
        if _INT_OCT.match(value):
            return int(value[2:], 8)
        if _INT_HEX.match(value):
            return int(value[2:], 16)
    return value


def _tag_problem(tag: str) -> str:
    if tag.startswith("tag:yaml.org,2002:python/"):
        return f"tag '{tag}' is not allowed: only plain YAML data (no Python objects)"
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return (
        f"tag '{short}' is not allowed: write plain values (quote a value, or use !!str, "
        "to make it a string)"
    )


def _event_source(text: str) -> Any:
    """libyaml's C parser when available (fast), else PyYAML's pure-Python one."""
    if getattr(yaml, "__with_libyaml__", False):
        from yaml._yaml import CParser

        return CParser(text)

    class _PyParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)

    return _PyParser(text)


def _error_position(exc: yaml.YAMLError, text: str) -> tuple[int, int]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return mark.line + 1, mark.column + 1
    index = getattr(exc, "position", None)  # ReaderError: a character index
    if isinstance(index, int):
        before = text[:index]
        return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1
    return 1, 1


def _syntax_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.context, exc.problem) if p]
        text = ", ".join(parts) if parts else "invalid YAML"
    elif isinstance(exc, yaml.reader.ReaderError):
        text = f"character #x{exc.character:04x} is not allowed: {exc.reason}"
    else:
        text = "invalid YAML"
    return f"YAML syntax error: {text}"


def read_yaml(text: str, *, environ: Mapping[str, str]) -> ReadResult:
    """Read one YAML document into YamlMap/YamlSeq/scalars, collecting every problem.

    Never raises for bad input: syntax errors, excessive depth or alias expansion stop the
    reading and come back as problems (with `root` None).
    """
    result = ReadResult(root=None, lines=LineIndex(text))
    problems = result.problems
    try:
        result.root = _Composer(text, environ=environ, problems=problems, lines=result.lines).run()
    except _Abort:
        result.root = None
    except yaml.YAMLError as exc:
        line, column = _error_position(exc, text)
        problems.append(YamlProblem(line, column, _syntax_message(exc)))
        result.root = None
    return result


_UNSET: Any = object()
_DROPPED: Any = object()  # a value with a forbidden tag: reported, then left out


class _Frame:
    """An open mapping or sequence while its events stream in."""

    __slots__ = (
        "anchor",
        "container",
        "dropped",
        "hidden",
        "is_map",
        "key",
        "key_mark",
        "nodes_before",
        "skip",
    )

    def __init__(
        self, container: YamlMap | YamlSeq, *, hidden: bool, anchor: str | None, nodes_before: int
    ) -> None:
        self.container = container
        self.is_map = type(container) is YamlMap
        self.key: Any = _UNSET  # a mapping's key waiting for its value
        self.key_mark = -1  # its position
        self.hidden = hidden  # inside a password value: nothing kept, nothing resolved
        self.skip = False  # the pending value belongs to a password key: drop it
        self.dropped = False  # this container has a forbidden tag: left out of its parent
        self.anchor = anchor
        self.nodes_before = nodes_before


class _Composer:
    def __init__(
        self,
        text: str,
        *,
        environ: Mapping[str, str],
        problems: list[YamlProblem],
        lines: LineIndex,
    ) -> None:
        self.text = text
        self.lines = lines
        self.environ = environ
        self.problems = problems
        # anchor -> (node, number of nodes in it); None while the anchored node is open
        self.anchors: dict[str, tuple[Any, int] | None] = {}
        self.nodes = 0  # nodes composed so far (aliases excluded)
        self.expanded = 0  # nodes that aliases add when the data is walked
        self.plain_keys: set[str] = set()  # keys already checked: no password, no merge

    def problem(self, mark: int, message: str) -> None:
        line, column = self.lines.position(mark)
        self.problems.append(YamlProblem(line, column, message))

    def run(self) -> Any:
        parser = _event_source(self.text)
        try:
            return self.compose(parser)
        finally:
            dispose = getattr(parser, "dispose", None)
            if dispose is not None:
                dispose()

    def compose(self, parser: Any) -> Any:
        # The hot path (a plain scalar appended to a list or set in a mapping) is inlined
        # with the open container's state in locals: this loop runs once per YAML node.
        get_event = parser.get_event
        stack: list[_Frame] = []
        top: _Frame | None = None
        root: Any = None
        documents = 0
        unset = _UNSET
        number_start = _NUMBER_START
        words = _WORDS
        plain_keys = self.plain_keys
        while True:
            event = get_event()
            kind = type(event)
            if kind is ScalarEvent:
                self.nodes += 1
                raw = event.value
                if top is not None and not top.hidden and not top.skip and event.anchor is None:
                    mark = event.start_mark.index
                    if event.tag is None and event.implicit[0]:
                        if raw and raw[0] not in number_start and raw not in words:
                            value: Any = raw
                        else:
                            value = _resolve_plain(raw)
                    else:
                        value = self.scalar(event, is_key=False, raw=raw)
                        if value is _DROPPED:
                            if top.is_map and top.key is unset:
                                self.take_key(top, value, mark)
                            else:
                                self.add(top, value, mark)
                            continue
                    if top.is_map:
                        key = top.key
                        if key is unset:
                            if value in plain_keys and type(value) is str:
                                top.key = value
                                top.key_mark = mark
                            else:
                                self.take_key(top, value, mark)
                            continue
                        if type(value) is str and "${" in value:
                            value = self.resolve(value, mark)
                        mapping = top.container
                        assert type(mapping) is YamlMap
                        top.key = unset
                        if key in mapping.key_marks:
                            self.duplicate(mapping, key, top.key_mark)
                        else:
                            mapping[key] = value
                            mapping.key_marks[key] = top.key_mark
                            mapping.value_marks[key] = mark
                    else:
                        if type(value) is str and "${" in value:
                            value = self.resolve(value, mark)
                        sequence = top.container
                        assert type(sequence) is YamlSeq
                        sequence.append(value)
                        sequence.item_marks.append(mark)
                    continue
                # The general case: root scalar, anchors, inside a password value.
                is_key = top is not None and top.is_map and top.key is unset
                hidden = top is not None and (top.hidden or (top.skip and not is_key))
                value = None if hidden else self.scalar(event, is_key=is_key, raw=raw)
                if value is not None and not is_key and type(value) is str and "${" in value:
                    value = self.resolve(value, event.start_mark.index)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1)
                if top is None:
                    root = None if value is _DROPPED else value
                elif is_key:
                    self.take_key(top, value, event.start_mark.index)
                else:
                    self.add(top, value, event.start_mark.index)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self.nodes += 1
                allowed = self.check_container_start(event, kind, depth=len(stack), parent=top)
                container: YamlMap | YamlSeq = (
                    YamlMap(event.start_mark.index)
                    if kind is MappingStartEvent
                    else YamlSeq(event.start_mark.index)
                )
                if event.anchor is not None:
                    self.anchors[event.anchor] = None
                top = _Frame(
                    container,
                    hidden=not allowed or (top is not None and (top.hidden or top.skip)),
                    anchor=event.anchor,
                    nodes_before=self.nodes + self.expanded - 1,
                )
                top.dropped = not allowed
                stack.append(top)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = stack.pop()
                top = stack[-1] if stack else None
                done = frame.container
                if frame.anchor is not None:
                    # Its size counts what its own aliases expand to: nested aliases multiply.
                    size = self.nodes + self.expanded - frame.nodes_before
                    self.anchors[frame.anchor] = (done, size)
                if top is not None:
                    self.add(top, _DROPPED if frame.dropped else done, done.mark)
                else:
                    root = None if frame.dropped else done
            elif kind is AliasEvent:
                root = self.alias(event, stack, root)
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    self.problem(
                        event.start_mark.index,
                        "a second YAML document ('---'): put one document in each file",
                    )
                    raise _Abort
            elif kind is StreamEndEvent:
                return root

    def resolve(self, value: str, mark: int) -> str:
        try:
            return resolve_env(value, environ=self.environ)
        except EnvError as exc:
            self.problem(mark, str(exc))
            return value

    def check_container_start(
        self, event: Any, kind: type, *, depth: int, parent: _Frame | None
    ) -> bool:
        """False when the container has a forbidden tag (reported; it will be left out)."""
        tag = event.tag
        allowed = _MAP_TAGS if kind is MappingStartEvent else _SEQ_TAGS
        ok = True
        if tag is not None and tag != "!" and tag not in allowed:
            self.problem(event.start_mark.index, _tag_problem(tag))
            ok = False
        if depth >= MAX_DEPTH:
            self.problem(
                event.start_mark.index,
                f"nesting deeper than {MAX_DEPTH} levels: the desired-state format needs only "
                "a few; the rest of this file was not read",
            )
            raise _Abort
        if parent is not None and parent.is_map and parent.key is _UNSET:
            self.problem(
                event.start_mark.index, "a mapping or list cannot be a key: keys are names"
            )
            raise _Abort
        return ok

    def scalar(self, event: Any, *, is_key: bool, raw: str) -> Any:
        """An untagged plain scalar is typed; a quoted or !!str one is a string."""
        tag = event.tag
        if tag is None and event.implicit[0]:
            return _resolve_plain(raw)
        if tag is None or tag in _STR_TAGS:
            return raw
        self.problem(event.start_mark.index, _tag_problem(tag))
        return _DROPPED

    def take_key(self, frame: _Frame, key: Any, mark: int) -> None:
        frame.key = key
        frame.key_mark = mark
        if key is _DROPPED:
            frame.skip = True  # a key with a forbidden tag: its value goes too
            return
        if frame.hidden or type(key) is not str:
            return
        if key == "<<":
            self.problem(mark, "merge keys ('<<') are not supported: write the keys out")
            frame.skip = True
        elif re.sub(r"[^a-z]", "", key.casefold()) in _PASSWORD_KEYS:
            self.problem(mark, PASSWORD_MESSAGE.format(key=key))
            frame.skip = True  # its value is dropped: nothing kept, nothing resolved
        else:
            self.plain_keys.add(key)

    def add(self, frame: _Frame, value: Any, mark: int) -> None:
        container = frame.container
        if type(container) is YamlSeq:
            if not frame.hidden and value is not _DROPPED:
                container.append(value)
                container.item_marks.append(mark)
            return
        key = frame.key
        key_mark = frame.key_mark
        frame.key = _UNSET
        if frame.hidden or frame.skip or value is _DROPPED:
            frame.skip = False
            return
        assert isinstance(container, YamlMap)
        assert key_mark is not None
        if key in container.key_marks:
            self.duplicate(container, key, key_mark)
            return
        container[key] = value
        container.key_marks[key] = key_mark
        container.value_marks[key] = mark

    def duplicate(self, mapping: YamlMap, key: Any, key_mark: int) -> None:
        first_line, first_column = self.lines.position(mapping.key_marks[key])
        self.problem(
            key_mark,
            f"duplicate key '{key}' (first at line {first_line}, column {first_column}): "
            "YAML would keep only one, so remove or merge one of them",
        )

    def alias(self, event: Any, stack: list[_Frame], root: Any) -> Any:
        anchor = event.anchor
        entry = self.anchors.get(anchor, _UNSET)
        if entry is _UNSET:
            self.problem(
                event.start_mark.index, f"alias '*{anchor}' refers to no anchor '&{anchor}'"
            )
            value: Any = None
            size = 1
        elif entry is None:
            self.problem(event.start_mark.index, f"alias '*{anchor}' refers to itself")
            raise _Abort
        else:
            value, size = entry
        self.expanded += size
        budget = max(MIN_ALIAS_BUDGET, self.nodes)
        if self.expanded > budget:
            self.problem(
                event.start_mark.index,
                f"aliases expand to more than {budget} values (a 'billion laughs' file?): "
                "write the values out instead of nesting aliases",
            )
            raise _Abort
        if not stack:
            return None if value is _DROPPED else value
        top = stack[-1]
        if top.is_map and top.key is _UNSET:
            if isinstance(value, YamlMap | YamlSeq):
                self.problem(
                    event.start_mark.index, "an alias to a mapping or list cannot be a key"
                )
                raise _Abort
            self.take_key(top, value, event.start_mark.index)
        else:
            self.add(top, value, event.start_mark.index)
        return root
