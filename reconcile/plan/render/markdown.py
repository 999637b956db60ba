"""Markdown for pull-request comments: summary table, safety gates, one collapsible
section per phase, notices; capped to fit a GitHub comment (65,536 characters) with a
note saying what was left out."""

from __future__ import annotations

from typing import assert_never

from reconcile.plan.consequences import (
    MAX_LISTED,
    Line,
    consequences_of,
    gain_headline,
    gain_lines,
    loss_headline,
    loss_lines,
)
from reconcile.plan.model import (
    CreateGroup,
    CreateUser,
    DeleteGroup,
    MemberRef,
    Operation,
    Plan,
    UpdateGroup,
    UpdateUser,
)
from reconcile.plan.render.text import RULES_NOTE

MAX_COMMENT_CHARS = 65_000  # GitHub's limit is 65,536; leave room for a bot's header
_NOTE_RESERVE = 600  # room for closing tags and the truncation note
_ESCAPED = set("\\`*_[]<>|~#")


def escape(text: str) -> str:
    """Backslash-escape Markdown punctuation so names cannot inject formatting or HTML."""
    return "".join("\\" + ch if ch in _ESCAPED else ch for ch in text).replace("\n", " ")


def code(text: str) -> str:
    """An inline code span that survives backticks in the text."""
    text = text.replace("\n", " ")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def add_sections(
    text: str, sections: list[tuple[str, list[str]]], *, max_chars: int
) -> tuple[str, int]:
    """Append collapsible sections while they fit in `max_chars` (less room for the
    truncation note); the new text and how many items were left out."""
    budget = max_chars - _NOTE_RESERVE
    left_out = 0
    for title, items in sections:
        opening = f"\n<details><summary>{title}</summary>\n\n"
        closing = "\n</details>\n"
        if left_out or len(text) + len(opening) + len(closing) > budget:
            left_out += len(items)
            continue
        text += opening
        for item in items:
            if left_out or len(text) + len(item) + 1 + len(closing) > budget:
                left_out += 1
                continue
            text += item + "\n"
        text += closing
    return text, left_out


def _member(ref: MemberRef) -> str:
    return code(ref.email)


def _members(refs: tuple[MemberRef, ...], *, limit: int = 20) -> str:
    shown = ", ".join(_member(r) for r in refs[:limit])
    rest = len(refs) - limit
    return shown + (f" and {rest} more" if rest > 0 else "")


def _user_update(op: UpdateUser) -> str:
    verb = "deactivate" if op.is_deactivation else "update"
    if op.is_reactivation:
        verb = "reactivate"
    sign = "-" if op.is_deactivation else "~"
    changes = []
    if op.display_name is not None:
        changes.append(f"name “{escape(op.display_name[0])}” → “{escape(op.display_name[1])}”")
    if op.active is not None:
        changes.append(f"active {str(op.active[0]).lower()} → {str(op.active[1]).lower()}")
    return f"`{sign}` {verb} user {code(op.email)} ({code(op.id)}): {', '.join(changes)}"


def _group_update(op: UpdateGroup) -> str:
    parts = []
    if op.rename is not None:
        parts.append(f"rename “{escape(op.rename[0])}” → “{escape(op.rename[1])}”")
    if op.add_members:
        parts.append(f"add {_members(op.add_members)}")
    if op.remove_members:
        parts.append(f"remove {_members(op.remove_members)}")
    return f"`~` update group {code(op.key)} “{escape(op.name)}” ({code(op.id)}): " + "; ".join(
        parts
    )


def _operation(op: Operation) -> str:
    reasons = escape("; ".join(op.reasons))
    match op:
        case CreateUser():
            head = f"`+` create user {code(op.email)} “{escape(op.display_name)}”"
        case UpdateUser():
            head = _user_update(op)
        case CreateGroup():
            head = (
                f"`+` create group {code(op.key)} “{escape(op.name)}” with "
                f"{len(op.members)} members: {_members(op.members)}"
            )
        case UpdateGroup():
            head = _group_update(op)
        case DeleteGroup():
            head = f"`-` delete group {code(op.key)} “{escape(op.name)}” ({code(op.id)})"
        case _:
            assert_never(op)
    return f"- {head}<br>_{reasons}_" if reasons else f"- {head}"


def _consequences(plan: Plan) -> list[str]:
    """Who loses and who gains access, first: what a reviewer checks before the phases."""
    c = consequences_of(plan)
    out: list[str] = []
    for title, headline, lines in (
        ("Who loses access", loss_headline(c), loss_lines(c)),
        ("Who gains access", gain_headline(c), gain_lines(c)),
    ):
        out += ["", f"#### {title}: {escape(headline)}", ""]
        # `*` bullets: `-` items are the operations (the truncation note counts those).
        out += [f"* {_subject(line)}: {escape(line.detail)}" for line in lines[:MAX_LISTED]]
        if len(lines) > MAX_LISTED:
            out.append(f"* … and {len(lines) - MAX_LISTED} more (see the phases below)")
    return out


def _subject(line: Line) -> str:
    if line.group_key is None:
        return code(line.subject)
    return f"group {code(line.group_key)} “{escape(line.subject)}”"


def _summary_table(plan: Plan) -> list[str]:
    s = plan.summary
    renames = s.update_user - s.deactivations - s.reactivations
    return [
        "| | Users | Groups |",
        "|---|---:|---:|",
        f"| Create | {s.create_user} | {s.create_group} |",
        f"| Update | {renames} | {s.update_group} |",
        f"| Reactivate | {s.reactivations} | |",
        f"| Deactivate | {s.deactivations} | |",
        f"| Delete | | {s.delete_group} |",
    ]


def _safety_table(plan: Plan) -> list[str]:
    lines = ["| Gate | Value | Limit | Result |", "|---|---:|---:|---|"]
    for gate in plan.safety:
        value = str(gate.value).lower() if isinstance(gate.value, bool) else str(gate.value)
        limit = str(gate.limit).lower() if isinstance(gate.limit, bool) else str(gate.limit)
        result = "✅ passes" if gate.passes else "⛔ **over limit**"
        lines.append(
            f"| `{gate.gate.value}` | {value} | {limit} | {result}: {escape(gate.detail)} |"
        )
    return lines


def render_markdown(plan: Plan, *, max_chars: int = MAX_COMMENT_CHARS) -> str:
    """The plan as a pull-request comment of at most `max_chars` characters."""
    head: list[str] = ["### reconcile plan"]
    if plan.target:
        head.append(f"Target: {code(plan.target)}")
    head.append("")
    head.append(f"**{plan.summary.line()}**")
    if not plan.has_changes:
        head.append("")
        head.append("No changes. The live state matches the desired state.")
    else:
        head += _consequences(plan)
    head += ["", *_summary_table(plan), "", "#### Safety gates", "", *_safety_table(plan)]
    if not plan.passes_safety:
        head += [
            "",
            "> ⛔ **This plan is over a safety limit.** Apply will refuse it (exit 3) unless "
            "the limit is overridden on the command line (R20).",
        ]
    out = "\n".join(head) + "\n"

    sections: list[tuple[str, list[str]]] = [
        (f"Phase {index}: {phase.heading} ({len(ops)})", [_operation(op) for op in ops])
        for index, (phase, ops) in enumerate(plan.by_phase(), start=1)
    ]
    if plan.notices:
        sections.append(
            (
                f"Notices ({len(plan.notices)})",
                [
                    f"- **{n.kind.value}** {code(n.subject)}: {escape(n.message)}"
                    for n in plan.notices
                ],
            )
        )
    out, left_out = add_sections(out, sections, max_chars=max_chars)
    if left_out:
        out += (
            f"\n> **Truncated:** {left_out} more operations and notices are not shown, to "
            f"fit a GitHub comment ({max_chars:,} characters). Run `reconcile plan` or read "
            "the JSON plan for the full list.\n"
        )
    return out + f"\n{RULES_NOTE}\n"
