"""docs/rules.md defines every rule that reconcile/ cites, and points at code that exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RULES_DOC = ROOT / "docs" / "rules.md"
HEADING = re.compile(r"^## R(\d+) (\S.*)$", re.MULTILINE)
CITATION = re.compile(r"\bR(\d+)\b")
LIVES_IN = re.compile(r"^Lives in: (.+)$", re.MULTILINE)


def _sections() -> dict[int, str]:
    text = RULES_DOC.read_text(encoding="utf-8")
    heads = list(HEADING.finditer(text))
    sections: dict[int, str] = {}
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else len(text)
        number = int(head.group(1))
        assert number not in sections, f"R{number} has two sections in docs/rules.md"
        sections[number] = text[head.start() : end]
    return sections


def _cited() -> dict[int, str]:
    """Rule number -> the first place in reconcile/ that cites it."""
    cited: dict[int, str] = {}
    for path in sorted((ROOT / "reconcile").rglob("*.py")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in CITATION.finditer(line):
                cited.setdefault(int(match.group(1)), f"{path.relative_to(ROOT)}:{lineno}")
    return cited


def test_every_rule_cited_in_the_code_is_defined_in_docs_rules_md() -> None:
    cited = _cited()
    assert cited, "the scan found no rule citation at all: the pattern is broken"
    missing = {f"R{n}": where for n, where in cited.items() if n not in _sections()}
    assert not missing, f"cited but not defined in docs/rules.md: {missing}"


def test_the_design_rules_r1_to_r22_each_have_a_section() -> None:
    assert set(range(1, 23)) <= set(_sections())


def test_each_section_has_a_statement_an_example_and_where_it_lives() -> None:
    for number, section in _sections().items():
        body = section.split("\n", 1)[1]
        assert "```" in body, f"R{number}: no example block"
        example = body.split("```")[1].strip().splitlines()
        assert len(example) == 2, f"R{number}: the example should be two lines"
        assert LIVES_IN.search(section), f"R{number}: no 'Lives in:' line"
        statement = body.split("```")[0].strip()
        assert len(statement) > 40, f"R{number}: the statement is missing"


def _resolve(dotted: str) -> object:
    """Import the longest module prefix of `dotted`, then walk the attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("number", sorted(_sections()))
def test_each_documented_home_exists(number: int) -> None:
    match = LIVES_IN.search(_sections()[number])
    assert match is not None
    homes = re.findall(r"`([\w.]+)`", match.group(1))
    assert homes, f"R{number}: 'Lives in:' names no `module.function`"
    for home in homes:
        assert home.startswith("reconcile"), home
        try:
            _resolve(home)
        except (ModuleNotFoundError, AttributeError) as exc:
            pytest.fail(f"R{number}: docs/rules.md says it lives in {home}, which is gone: {exc}")


def test_text_and_markdown_plans_point_to_the_rules() -> None:
    from reconcile.plan.render import render_markdown, render_text
    from tests.unit.plan.test_render import sample_plan

    plan = sample_plan()
    assert "docs/rules.md" in render_text(plan).splitlines()[-2]
    assert render_markdown(plan).rstrip().splitlines()[-1].endswith("docs/rules.md.")
