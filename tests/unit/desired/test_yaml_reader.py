"""The strict YAML reader: YAML 1.2 scalars, positions, aliases, env references."""

from __future__ import annotations

import pytest

from reconcile.desired.env import EnvError, resolve_env
from reconcile.desired.yaml_reader import MAX_DEPTH, LineIndex, YamlMap, YamlSeq, read_yaml


def test_yaml_1_2_core_scalars() -> None:
    result = read_yaml(
        "a: no\nb: true\nc: 2024-01-01\nd: 0x1F\ne: 1.5e3\nf: ~\ng: '12'\nh: !!str 7\ni: 0o17\n",
        environ={},
    )
    assert result.problems == []
    assert result.root == {
        "a": "no", "b": True, "c": "2024-01-01", "d": 31, "e": 1500.0,
        "f": None, "g": "12", "h": "7", "i": 15,
    }  # fmt: skip


def test_positions_of_keys_values_and_items() -> None:
    text = "users:\n  - email: a@x.test\n    members: [p, q]\n"
    result = read_yaml(text, environ={})
    root = result.root
    assert isinstance(root, YamlMap)
    users = root["users"]
    assert isinstance(users, YamlSeq)
    lines = result.lines
    assert lines.position(root.key_marks["users"]) == (1, 1)
    assert lines.position(users.item_marks[0]) == (2, 5)
    user = users[0]
    assert lines.position(user.value_marks["email"]) == (2, 12)
    assert [lines.position(m) for m in user["members"].item_marks] == [(3, 15), (3, 18)]


def test_columns_count_characters_not_bytes() -> None:
    result = read_yaml("é: [ü, x]\n", environ={})
    assert result.lines.position(result.root["é"].item_marks[1]) == (1, 8)


def test_aliases_within_budget_are_shared_not_copied() -> None:
    result = read_yaml("a: &m [x, y]\nb: *m\n", environ={})
    assert result.problems == []
    assert result.root["b"] is result.root["a"]


def test_alias_expansion_beyond_budget_stops_reading() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 6):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        levels.append(f"a{level}: &a{level} [{refs}]")
    result = read_yaml("\n".join(levels) + "\n", environ={})
    assert result.root is None
    (problem,) = result.problems
    assert "billion laughs" in problem.message


def test_depth_limit() -> None:
    result = read_yaml("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), environ={})
    assert result.root is None
    assert "nesting deeper than" in result.problems[0].message
    assert read_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH, environ={}).problems == []


def test_env_references_only_in_values() -> None:
    result = read_yaml("${K}: ${V}\nq: '${V:-d}'\n", environ={"V": "v"})
    assert result.root == {"${K}": "v", "q": "v"}


@pytest.mark.parametrize(
    ("text", "environ", "expected"),
    [
        ("${A}", {"A": "x"}, "x"),
        ("${A:-d}", {}, "d"),
        ("${A:-d}", {"A": ""}, "d"),
        ("${A}", {"A": ""}, ""),
        ("pre-${A}-${B:-}-post", {"A": "1"}, "pre-1--post"),
        ("$${A}", {}, "${A}"),
        ("no reference $ {A}", {}, "no reference $ {A}"),
    ],
)
def test_resolve_env(text: str, environ: dict[str, str], expected: str) -> None:
    assert resolve_env(text, environ=environ) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("${MISSING}", "MISSING is not set"), ("${1A}", "malformed"), ("${A", "malformed")],
)
def test_resolve_env_errors(text: str, message: str) -> None:
    with pytest.raises(EnvError, match=message):
        resolve_env(text, environ={})


def test_line_index() -> None:
    lines = LineIndex("ab\ncd\n\nx")
    assert [lines.position(i) for i in (0, 1, 3, 6, 7)] == [(1, 1), (1, 2), (2, 1), (3, 1), (4, 1)]
