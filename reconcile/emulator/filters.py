"""SCIM filter expressions (RFC 7644 section 3.4.2.2) and attribute paths.

The parser builds a small AST; `matches` evaluates it against a resource's JSON form.
Which filters a mode accepts (TeamViewer: one displayName comparison) is decided by
the caller with `comparisons`, so the grammar lives in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from reconcile.emulator.errors import ScimError, invalid_filter, invalid_path

COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lpar>\() | (?P<rpar>\)) | (?P<lbr>\[) | (?P<rbr>\]) |
        (?P<string>"(?:[^"\\]|\\.)*") |
        (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.:])) |
        (?P<word>(?:urn:[A-Za-z0-9:._-]+:)?[A-Za-z$][\w$-]*(?:\.[A-Za-z$][\w$-]*)?)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class AttrPath:
    """`name` or `name.sub`, lower-cased; `urn` is the schema prefix when one was given."""

    urn: str | None
    name: str
    sub: str | None = None

    def __str__(self) -> str:
        text = f"{self.name}.{self.sub}" if self.sub else self.name
        return f"{self.urn}:{text}" if self.urn else text


@dataclass(frozen=True, slots=True)
class Compare:
    path: AttrPath
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class Present:
    path: AttrPath


@dataclass(frozen=True, slots=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Not:
    inner: Filter


@dataclass(frozen=True, slots=True)
class ValuePath:
    """`emails[type eq "work"]`: a filter on the values of a multi-valued attribute."""

    path: AttrPath
    inner: Filter


Filter = Compare | Present | And | Or | Not | ValuePath


def split_attr(word: str) -> AttrPath:
    urn: str | None = None
    if word.lower().startswith("urn:"):
        urn, _, word = word.rpartition(":")
    name, _, sub = word.partition(".")
    return AttrPath(urn=urn, name=name.lower(), sub=sub.lower() or None)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise invalid_filter(f"cannot parse the filter at character {pos + 1}: {text!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise invalid_filter(f"the filter ends too early: {self.text!r}")
        self.i += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].lower() == word:
            self.i += 1
            return True
        return False

    def parse(self) -> Filter:
        node = self.or_expr()
        rest = self.peek()
        if rest is not None:
            raise invalid_filter(f"unexpected {rest[1]!r} in the filter {self.text!r}")
        return node

    def or_expr(self) -> Filter:
        node = self.and_expr()
        while self.keyword("or"):
            node = Or(node, self.and_expr())
        return node

    def and_expr(self) -> Filter:
        node = self.not_expr()
        while self.keyword("and"):
            node = And(node, self.not_expr())
        return node

    def not_expr(self) -> Filter:
        if self.keyword("not"):
            if self.take()[0] != "lpar":
                raise invalid_filter(f"'not' must be followed by '(' in {self.text!r}")
            inner = self.or_expr()
            self.expect("rpar")
            return Not(inner)
        return self.atom()

    def expect(self, kind: str) -> None:
        if self.take()[0] != kind:
            raise invalid_filter(f"missing {'(' if kind == 'lpar' else ')'} in {self.text!r}")

    def atom(self) -> Filter:
        kind, text = self.take()
        if kind == "lpar":
            node = self.or_expr()
            if self.take()[0] != "rpar":
                raise invalid_filter(f"missing ')' in {self.text!r}")
            return node
        if kind != "word":
            raise invalid_filter(f"expected an attribute name, got {text!r} in {self.text!r}")
        path = split_attr(text)
        nxt = self.peek()
        if nxt and nxt[0] == "lbr":
            self.take()
            inner = self.or_expr()
            if self.take()[0] != "rbr":
                raise invalid_filter(f"missing ']' in {self.text!r}")
            return ValuePath(path, inner)
        op_kind, op = self.take()
        op = op.lower()
        if op_kind != "word" or (op not in COMPARE_OPS and op != "pr"):
            raise invalid_filter(f"unknown operator {op!r} in {self.text!r}")
        if op == "pr":
            return Present(path)
        vkind, vtext = self.take()
        value: Any
        if vkind == "string":
            value = _unquote(vtext)
        elif vkind == "number":
            value = float(vtext) if any(c in vtext for c in ".eE") else int(vtext)
        elif vkind == "word" and vtext in ("true", "false", "null"):
            value = {"true": True, "false": False, "null": None}[vtext]
        else:
            raise invalid_filter(f"invalid comparison value {vtext!r} in {self.text!r}")
        return Compare(path, op, value)


def _unquote(text: str) -> str:
    import json

    try:
        return str(json.loads(text))
    except ValueError as exc:
        raise invalid_filter(f"invalid string {text} in the filter") from exc


def parse_filter(text: str) -> Filter:
    if not text.strip():
        raise invalid_filter("the filter is empty")
    return _Parser(text).parse()


@dataclass(frozen=True, slots=True)
class PatchPath:
    """`attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub` (RFC 7644 3.5.2)."""

    attr: AttrPath
    value_filter: Filter | None = None
    sub: str | None = None


_PATCH_PATH = re.compile(
    r"^(?P<attr>[^\[\]]+?)(?:\[(?P<filter>.*)\](?:\.(?P<sub>[A-Za-z$][\w$-]*))?)?$"
)


def parse_patch_path(text: str) -> PatchPath:
    m = _PATCH_PATH.match(text.strip())
    if not m:
        raise invalid_path(f"cannot parse the PATCH path {text!r}")
    attr = split_attr(m.group("attr"))
    if m.group("filter") is not None:
        if attr.sub:
            raise invalid_path(f"a value filter must follow a top-level attribute: {text!r}")
        try:
            value_filter = parse_filter(m.group("filter"))
        except ScimError as exc:
            raise invalid_path(
                f"invalid value filter in the PATCH path {text!r}: {exc.detail}"
            ) from exc
        sub = m.group("sub")
        return PatchPath(attr=attr, value_filter=value_filter, sub=sub.lower() if sub else None)
    return PatchPath(attr=attr)


def comparisons(node: Filter) -> Iterator[Filter]:
    """Every node of the tree, for callers that restrict what a mode accepts."""
    yield node
    if isinstance(node, And | Or):
        yield from comparisons(node.left)
        yield from comparisons(node.right)
    elif isinstance(node, Not | ValuePath):
        yield from comparisons(node.inner)


def _get(obj: Any, name: str) -> Any:
    if not isinstance(obj, dict):
        return None
    for key, value in obj.items():
        if key.lower() == name:
            return value
    return None


CaseExact = Callable[[AttrPath], bool]


def _values(doc: dict[str, Any], path: AttrPath) -> list[Any]:
    base = doc
    if path.urn and not path.urn.lower().startswith("urn:ietf:params:scim:schemas:core:"):
        base = _get(doc, path.urn.lower()) or {}
    top = _get(base, path.name)
    items = top if isinstance(top, list) else [top]
    if path.sub is None:
        # A multi-valued complex attribute compared directly means its `value`.
        return [_get(v, "value") if isinstance(v, dict) else v for v in items if v is not None]
    return [_get(v, path.sub) for v in items if v is not None]


def _compare(actual: Any, op: str, expected: Any, case_exact: bool) -> bool:
    if actual is None:
        return op == "ne" and expected is not None
    if isinstance(actual, str) and isinstance(expected, str):
        a, e = (actual, expected) if case_exact else (actual.casefold(), expected.casefold())
        return {
            "eq": a == e,
            "ne": a != e,
            "co": e in a,
            "sw": a.startswith(e),
            "ew": a.endswith(e),
            "gt": a > e,
            "ge": a >= e,
            "lt": a < e,
            "le": a <= e,
        }[op]
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if isinstance(actual, bool) or isinstance(expected, bool) or op in ("co", "sw", "ew"):
        return False
    try:
        return bool(
            {"gt": actual > expected, "ge": actual >= expected, "lt": actual < expected}.get(
                op, actual <= expected
            )
        )
    except TypeError:
        return False


def matches(node: Filter, doc: dict[str, Any], *, case_exact: CaseExact) -> bool:
    if isinstance(node, And):
        return matches(node.left, doc, case_exact=case_exact) and matches(
            node.right, doc, case_exact=case_exact
        )
    if isinstance(node, Or):
        return matches(node.left, doc, case_exact=case_exact) or matches(
            node.right, doc, case_exact=case_exact
        )
    if isinstance(node, Not):
        return not matches(node.inner, doc, case_exact=case_exact)
    if isinstance(node, Present):
        return any(v not in (None, "", [], {}) for v in _values(doc, node.path))
    if isinstance(node, ValuePath):
        items = _get(doc, node.path.name) or []
        if not isinstance(items, list):
            items = [items]
        return any(
            isinstance(item, dict) and matches(node.inner, item, case_exact=case_exact)
            for item in items
        )
    exact = case_exact(node.path)
    values = _values(doc, node.path)
    if node.op == "ne":
        return all(_compare(v, "ne", node.value, exact) for v in values) if values else True
    return any(_compare(v, node.op, node.value, exact) for v in values)
