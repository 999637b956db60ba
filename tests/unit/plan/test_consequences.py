"""Consequences first (issue 15 item 5): who loses and who gains access, read off the
plan's operations, open the text and Markdown plans and are in the JSON plan."""

from __future__ import annotations

import json

import pytest

from reconcile.plan import PlanFileError, plan, plan_from_json, plan_to_json
from reconcile.plan.consequences import MAX_LISTED, consequences_of
from reconcile.plan.render import render_markdown, render_text
from tests.unit.plan.builders import desired, du, live, lu
from tests.unit.plan.test_plan_json import sample_plan


def test_consequences_list_each_user_with_its_reason_and_count_memberships() -> None:
    c = consequences_of(sample_plan())
    loses = {u.email: u.reason for u in c.loses_users}
    assert set(loses) == {"leaver@x.test", "stray@x.test"}
    assert all(reason for reason in loses.values())
    assert "(R13)" in loses["stray@x.test"]  # not declared, unmanaged_users: deactivate
    assert {(g.key, g.count) for g in c.loses_memberships} == {("eng", 1)}
    assert [g.key for g in c.deleted_groups] == ["old"]
    gains = {u.email: u.action for u in c.gains_users}
    assert gains == {"new@x.test": "create", "Back@X.test": "reactivate"}
    assert c.added == sum(g.count for g in c.gains_memberships) > 0


def test_text_opens_with_who_loses_then_who_gains_access() -> None:
    lines = render_text(sample_plan()).splitlines()
    loses = next(i for i, line in enumerate(lines) if line.startswith("Who loses access: "))
    gains = next(i for i, line in enumerate(lines) if line.startswith("Who gains access: "))
    first_phase = next(i for i, line in enumerate(lines) if line.startswith("Phase "))
    assert loses < gains < first_phase
    assert lines[loses] == (
        "Who loses access: 2 users deactivated, 1 membership removed, 1 group deleted"
    )
    assert any(line.startswith("  - stray@x.test: not declared") for line in lines)
    assert '  - group eng "Engineering": 1 member removed' in lines


def test_markdown_first_section_is_who_loses_access() -> None:
    md = render_markdown(sample_plan())
    headings = [line for line in md.splitlines() if line.startswith("#### ")]
    assert headings[0].startswith("#### Who loses access: 2 users deactivated")
    assert headings[1].startswith("#### Who gains access: ")
    assert md.index("Who loses access") < md.index("<details><summary>Phase 1")
    assert "* `leaver@x.test`: " in md


def test_lists_are_capped_with_a_count_of_the_rest() -> None:
    n = MAX_LISTED + 7
    emails = [f"u{i:03}@x.test" for i in range(n)]
    d = desired([du(e) for e in emails], [])  # declared, in no group: all deactivated
    state = live([lu(f"id{i}", e) for i, e in enumerate(emails)])
    p = plan(d, state)
    assert len(consequences_of(p).loses_users) == n
    text = render_text(p)
    assert "  ... and 7 more (see the phases below)" in text
    assert "* … and 7 more (see the phases below)" in render_markdown(p)


def test_json_plan_carries_the_consequences_and_checks_them_on_reading() -> None:
    p = sample_plan()
    doc = json.loads(plan_to_json(p))
    loses = doc["consequences"]["loses_access"]
    assert {u["email"] for u in loses["users"]} == {"leaver@x.test", "stray@x.test"}
    assert loses["memberships"] == [{"key": "eng", "name": "Engineering", "members": 1}]
    assert loses["deleted_groups"] == [{"key": "old", "name": "Old"}]
    assert {u["action"] for u in doc["consequences"]["gains_access"]["users"]} == {
        "create",
        "reactivate",
    }
    assert plan_from_json(plan_to_json(p)) == p
    doc["consequences"]["loses_access"]["users"] = []
    with pytest.raises(PlanFileError, match="consequences do not match"):
        plan_from_json(json.dumps(doc))
    del doc["consequences"]  # a plan saved before the block existed still reads
    assert plan_from_json(json.dumps(doc)) == p


def test_an_empty_plan_lists_no_consequences() -> None:
    d = desired([du("a@x.test")], [])
    p = plan(d, live([lu("u1", "a@x.test", active=False)]))
    assert p.operations == ()
    assert "Who loses access" not in render_text(p)
    assert "Who loses access" not in render_markdown(p)
