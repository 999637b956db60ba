"""Unit tests of live snapshots: deterministic, versioned, no secrets, strict on load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconcile.live.errors import SnapshotError
from reconcile.live.model import Live, LiveGroup, LiveUser
from reconcile.live.snapshot import read_snapshot, write_snapshot


def sample() -> Live:
    return Live.build(
        users=[
            LiveUser(id="u2", email="b@example.test", display_name="Bé", active=False),
            LiveUser(id="u1", email="a@example.test", display_name="A", active=True),
        ],
        groups=[LiveGroup(id="g1", name="G", member_ids=frozenset({"u2", "u1"}))],
    )


def test_round_trip_is_equal_and_bytes_are_deterministic(tmp_path: Path) -> None:
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    write_snapshot(sample(), one, target_label="https://x.example/scim/v2")
    reordered = Live.build(users=reversed(sample().users), groups=sample().groups)
    write_snapshot(reordered, two, target_label="https://x.example/scim/v2")
    assert one.read_bytes() == two.read_bytes()
    assert read_snapshot(one).live == sample()
    data = json.loads(one.read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert data["groups"][0]["member_ids"] == ["u1", "u2"]
    assert list(tmp_path.iterdir()) == [one, two] or sorted(tmp_path.iterdir()) == [one, two]


def test_the_target_label_never_keeps_credentials_or_query(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    write_snapshot(sample(), path, target_label="https://me:pw-SECRET@x.example/scim/v2?t=SECRET")
    text = path.read_text(encoding="utf-8")
    assert "SECRET" not in text
    assert read_snapshot(path).target == "https://x.example/scim/v2"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(version=2), "version 2 is not supported"),
        (lambda d: d.update(format="other"), "not a reconcile live snapshot"),
        (lambda d: d["users"][1].update(mail="x"), r"users\[1\]\.mail: Extra inputs"),
        (lambda d: d["users"][0].pop("email"), r"users\[0\]\.email: Field required"),
        (lambda d: d["users"][0].update(active="yes"), r"users\[0\]\.active"),
        (lambda d: d["users"].append(dict(d["users"][0])), "user id u1 appears twice"),
        (lambda d: d["groups"][0]["member_ids"].append("u9"), "member u9"),
    ],
)
def test_invalid_snapshots_are_refused_with_where_and_what(
    tmp_path: Path, mutate: object, expected: str
) -> None:
    path = tmp_path / "s.json"
    write_snapshot(sample(), path, target_label="embedded")
    data = json.loads(path.read_text(encoding="utf-8"))
    mutate(data)  # type: ignore[operator]  # parametrized callable
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SnapshotError, match=expected) as info:
        read_snapshot(path)
    assert str(path) in str(info.value)
    assert "reconcile snapshot" in str(info.value)  # says how to fix


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{\n  "format": ,\n}', encoding="utf-8")
    with pytest.raises(SnapshotError, match=r"s\.json:2:13: not valid JSON"):
        read_snapshot(path)


def test_missing_file_is_a_snapshot_error(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="no such file"):
        read_snapshot(tmp_path / "absent.json")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "missing-dir" / "s.json"
    with pytest.raises(SnapshotError, match="cannot write"):
        write_snapshot(sample(), path, target_label="embedded")
    assert not path.exists()
