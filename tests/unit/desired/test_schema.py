"""The committed desired_state/.schema.json is what `reconcile schema` prints, and it
accepts every example file (checked with jsonschema, independently of our loader)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.desired import json_schema

REPO = Path(__file__).parents[3]
EXAMPLE = REPO / "desired_state"
EXAMPLE_FILES = sorted(EXAMPLE.rglob("*.yaml"))


def test_committed_schema_is_up_to_date() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    committed = (EXAMPLE / ".schema.json").read_text(encoding="utf-8")
    assert result.stdout == committed, (
        "desired_state/.schema.json is stale: run `reconcile schema > desired_state/.schema.json`"
    )
    assert json.loads(result.stdout) == json_schema()


@pytest.mark.parametrize("file", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(EXAMPLE)))
def test_example_file_validates_against_the_schema(file: Path) -> None:
    schema = json.loads((EXAMPLE / ".schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)


@pytest.mark.parametrize("file", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(EXAMPLE)))
def test_example_file_points_editors_at_the_schema(file: Path) -> None:
    first = file.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    assert (file.parent / first.removeprefix(prefix)).resolve() == (
        EXAMPLE / ".schema.json"
    ).resolve()


@pytest.mark.parametrize(
    "data",
    [
        {"users": [{"email": "a@x.test", "display_name": "A", "emial": "typo"}]},
        {"users": [{"email": "a@x.test", "first_name": "A"}]},  # R14: last_name missing
        {"groups": {"Bad Key": {"name": "B"}}},
        {"tenant": {"safety": {"max_deactivation_percent": 101}}},
        {"groups": {"g": {"name": "G", "state": "gone"}}},
    ],
)
def test_schema_rejects_what_the_loader_rejects(data: object) -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    assert list(validator.iter_errors(data))
