"""One fixture per failure mode under tests/fixtures/invalid/: each file states what the
loader must report in `# expect: LINE:COLUMN: message substring` lines ({dir} stands for
the fixture folder). Every expected error must be reported at that exact place, and no
other error may be."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from reconcile.desired import DesiredStateError, load_desired

INVALID = Path(__file__).parents[2] / "fixtures" / "invalid"
_EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")


def _expectations(fixture: Path) -> list[tuple[str, int, int, str]]:
    files = sorted(fixture.rglob("*.yaml")) if fixture.is_dir() else [fixture]
    shown_root = os.path.normpath(fixture)
    expected = []
    for file in files:
        shown = os.path.normpath(file)
        for line in file.read_bytes().decode("utf-8", "replace").splitlines():
            match = _EXPECT.match(line)
            if match:
                text = match.group(3).replace("{dir}", shown_root)
                expected.append((shown, int(match.group(1)), int(match.group(2)), text))
    return expected


FIXTURES = sorted(INVALID.iterdir())


def test_there_is_a_fixture_for_each_failure_mode() -> None:
    assert len(FIXTURES) >= 30
    for fixture in FIXTURES:
        assert _expectations(fixture), f"{fixture.name} has no '# expect:' line"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_fixture_reports_each_expected_error_at_its_place(fixture: Path) -> None:
    with pytest.raises(DesiredStateError) as caught:
        load_desired(fixture, environ={})
    errors = caught.value.diagnostics
    expected = _expectations(fixture)
    for file, line, column, text in expected:
        matching = [
            d
            for d in errors
            if d.location is not None
            and (d.location.file, d.location.line, d.location.column) == (file, line, column)
            and text in d.message
        ]
        assert matching, f"expected {file}:{line}:{column}: {text}\n got:\n" + "\n".join(
            str(d) for d in errors
        )
    assert len(errors) == len(expected), "\n".join(str(d) for d in errors)
    assert all(d.severity == "error" for d in errors)


def test_str_of_an_error_is_file_line_column_message() -> None:
    fixture = INVALID / "unknown_key.yaml"
    with pytest.raises(DesiredStateError) as caught:
        load_desired(fixture, environ={})
    (error,) = caught.value.diagnostics
    assert str(error).startswith(f"{os.path.normpath(fixture)}:5:5: unknown key 'frist_name'")
    assert str(caught.value) == str(error)
