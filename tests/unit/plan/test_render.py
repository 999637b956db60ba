"""Renderers: text (Terraform-like), Markdown (PR comment, capped) and JSON."""

from __future__ import annotations

import json

from reconcile.desired.model import Safety
from reconcile.plan import Plan, plan
from reconcile.plan.render import (
    OutputFormat,
    render,
    render_json,
    render_markdown,
    render_text,
)
from reconcile.plan.render.markdown import code, escape
from reconcile.plan.wire import plan_to_json
from tests.unit.plan.builders import desired, dg, du, live, lu
from tests.unit.plan.test_plan_json import sample_plan


def test_text_groups_operations_by_phase_with_signs_and_summary_line() -> None:
    text = render_text(sample_plan())
    lines = text.splitlines()
    headings = [line for line in lines if line.startswith("Phase ")]
    assert headings == [
        "Phase 1: Create users (1)",
        "Phase 2: Update and reactivate users (2)",
        "Phase 3: Create and update groups (2)",
        "Phase 4: Deactivate users (2)",
        "Phase 5: Delete groups (1)",
    ]
    assert '  + user new@x.test "New Person"' in lines
    assert "  ~ user Back@X.test (u1) reactivate" in lines
    assert "  - user stray@x.test (u4) deactivate" in lines
    assert '  - group old "Old" (g2)' in lines
    assert '      ~ name: "Eng" -> "Engineering"' in lines
    assert "      - member leaver@x.test (u2)" in lines
    assert "      + member new@x.test (new)" in lines
    assert lines[-1] == "Plan: 2 to create, 3 to update, 2 to deactivate, 1 to delete."
    assert "\x1b[" not in text


def test_text_colour_only_when_asked() -> None:
    p = sample_plan()
    coloured = render_text(p, color=True)
    assert "\x1b[" in coloured
    assert render(p, OutputFormat.TEXT) == render_text(p)


def test_text_for_an_empty_plan_says_no_changes() -> None:
    d = desired([du("a@x.test")], [dg("eng", "Eng", ["a@x.test"])])
    state = plan(d, live([lu("u1", "a@x.test")], []))
    assert state.operations  # the group must be created first
    from tests.unit.plan.builders import apply_plan

    empty = plan(d, apply_plan(live([lu("u1", "a@x.test")], []), state))
    text = render_text(empty)
    assert "No changes." in text
    assert text.splitlines()[-1] == "Plan: 0 to create, 0 to update, 0 to deactivate, 0 to delete."


def test_text_warns_when_over_a_safety_limit() -> None:
    d = desired([du("a@x.test"), du("b@x.test")], [], safety=Safety(max_deactivations=1))
    p = plan(d, live([lu("u1", "a@x.test"), lu("u2", "b@x.test")]))
    text = render_text(p)
    assert "OVER LIMIT" in text
    assert "apply will refuse it (exit 3)" in text


def test_markdown_has_summary_safety_and_one_collapsible_section_per_phase() -> None:
    md = render_markdown(sample_plan())
    assert md.startswith("### reconcile plan")
    assert "**Plan: 2 to create, 3 to update, 2 to deactivate, 1 to delete.**" in md
    assert "| Reactivate | 1 | |" in md
    assert "| `max_deactivations` | 2 | 10 | ✅ passes" in md
    assert md.count("<details><summary>Phase ") == 5
    assert md.count("</details>") == 6  # five phases and the notices
    assert "Truncated" not in md


def test_markdown_is_capped_with_a_truncation_note() -> None:
    users = [du(f"user{i:05d}@example.test", f"User Number {i}") for i in range(3000)]
    d = desired(users, [dg("all", "All", [u.email for u in users])])
    p: Plan = plan(d, live())
    md = render_markdown(p)
    assert len(md) <= 65_000
    assert "**Truncated:**" in md
    assert md.count("<details>") == md.count("</details>")
    full = render_markdown(p, max_chars=10_000_000)
    assert "Truncated" not in full
    assert len(full) > 65_000
    shown = md.count("\n- ")
    note = md.split("**Truncated:** ")[1]
    assert int(note.split()[0]) == len(p.operations) + len(p.notices) - shown


def test_markdown_escapes_names_so_they_cannot_inject_markup() -> None:
    assert escape("<img src=x> *bold* | pipe") == "\\<img src=x\\> \\*bold\\* \\| pipe"
    assert code("a`b") == "``a`b``"
    d = desired([du("a@x.test", "<script>x</script>")], [dg("eng", "Eng", ["a@x.test"])])
    md = render_markdown(plan(d, live()))
    assert "<script>" not in md


def test_json_renderer_is_the_contract() -> None:
    p = sample_plan()
    assert render_json(p) == plan_to_json(p)
    assert json.loads(render(p, OutputFormat.JSON))["format_version"] == 1
    assert render(p, OutputFormat.MARKDOWN) == render_markdown(p)


def test_drift_markdown_is_capped_with_a_truncation_note_too() -> None:
    from reconcile.plan.render.drift import Drift, render_drift_markdown

    unmanaged = [lu(f"u{i}", f"stray{i:05d}@example.test", f"Stray {i}") for i in range(3000)]
    p: Plan = plan(desired([], []), live(unmanaged))
    md = render_drift_markdown(Drift.of(p))
    assert len(md) <= 65_000
    assert "**Truncated:**" in md
    assert md.count("<details>") == md.count("</details>")
    assert "Truncated" not in render_drift_markdown(Drift.of(p), max_chars=10_000_000)
