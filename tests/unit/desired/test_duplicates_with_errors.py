"""Issue 2 item 5: every error of a run is reported together, even a duplicate e-mail (R1)
whose second entry also has an error of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.desired import DesiredStateError, load_desired


def test_a_duplicate_email_is_reported_alongside_the_entrys_own_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "users:\n  - email: ok@example.test\n    display_name: Ok\n", encoding="utf-8"
    )
    (tmp_path / "b.yaml").write_text(
        "users:\n  - email: OK@example.test\n    display_nam: Typo\n", encoding="utf-8"
    )
    with pytest.raises(DesiredStateError) as info:
        load_desired(tmp_path)
    messages = [str(d) for d in info.value.diagnostics]
    assert any("display_nam" in m for m in messages), messages
    duplicate = [m for m in messages if "declared twice" in m]
    assert len(duplicate) == 1, messages
    assert duplicate[0].startswith(f"{tmp_path}/b.yaml:2:")
    assert "a.yaml:2:5" in duplicate[0]


def test_two_broken_entries_with_one_email_are_reported_as_duplicates(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "users:\n"
        "  - email: x@example.test\n    bogus: 1\n"
        "  - email: X@example.test\n    bogus: 2\n",
        encoding="utf-8",
    )
    with pytest.raises(DesiredStateError) as info:
        load_desired(tmp_path)
    assert sum("declared twice" in str(d) for d in info.value.diagnostics) == 1
