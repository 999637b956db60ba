"""Terraform-like text: `+` create, `~` update, `-` deactivate/delete, grouped by phase.

Colour only when asked for (the command line asks when stdout is a terminal); the plain
text is identical either way.
"""

from __future__ import annotations

import io
from typing import assert_never

from rich.console import Console
from rich.text import Text

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

_SIGN_STYLE = {"+": "green", "~": "yellow", "-": "red"}
# The closing note of every text and Markdown plan: where a cited rule (R5, R20) is explained.
RULES_NOTE = "Rules cited as R1, R2, ... are explained in docs/rules.md."


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _member(ref: MemberRef) -> str:
    return f"{ref.email} ({ref.id})" if ref.id else f"{ref.email} (new)"


def _sign(op: Operation) -> str:
    if isinstance(op, CreateUser | CreateGroup):
        return "+"
    if isinstance(op, DeleteGroup) or (isinstance(op, UpdateUser) and op.is_deactivation):
        return "-"
    return "~"


def _head(op: Operation) -> str:
    match op:
        case CreateUser():
            return f"user {op.email} {_quote(op.display_name)}"
        case UpdateUser():
            verb = (
                " deactivate" if op.is_deactivation else " reactivate" if op.is_reactivation else ""
            )
            return f"user {op.email} ({op.id}){verb}"
        case CreateGroup():
            return f"group {op.key} {_quote(op.name)} with {len(op.members)} members"
        case UpdateGroup() | DeleteGroup():
            return f"group {op.key} {_quote(op.name)} ({op.id})"
        case _:
            assert_never(op)


def _details(op: Operation) -> list[tuple[str, str]]:
    """(sign, text) lines under the head; sign "" for neutral details."""
    lines: list[tuple[str, str]] = []
    if isinstance(op, UpdateUser):
        if op.display_name is not None:
            before, after = op.display_name
            lines.append(("~", f"display_name: {_quote(before)} -> {_quote(after)}"))
        if op.active is not None:
            before_active, after_active = op.active
            lines.append(
                ("~", f"active: {str(before_active).lower()} -> {str(after_active).lower()}")
            )
    elif isinstance(op, CreateGroup):
        lines.extend(("+", f"member {_member(m)}") for m in op.members)
    elif isinstance(op, UpdateGroup):
        if op.rename is not None:
            lines.append(("~", f"name: {_quote(op.rename[0])} -> {_quote(op.rename[1])}"))
        lines.extend(("+", f"member {_member(m)}") for m in op.add_members)
        lines.extend(("-", f"member {_member(m)}") for m in op.remove_members)
    return lines


def _consequences(out: Text, plan: Plan) -> None:
    """Who loses and who gains access, before the phases: what a reviewer checks first."""
    c = consequences_of(plan)
    for title, headline, lines, sign in (
        ("Who loses access", loss_headline(c), loss_lines(c), "-"),
        ("Who gains access", gain_headline(c), gain_lines(c), "+"),
    ):
        out.append(f"\n{title}: {headline}\n", style="bold")
        for line in lines[:MAX_LISTED]:
            out.append(f"  {sign} ", style=_SIGN_STYLE[sign])
            out.append(f"{_subject(line)}: {line.detail}\n")
        if len(lines) > MAX_LISTED:
            out.append(f"  ... and {len(lines) - MAX_LISTED} more (see the phases below)\n")


def _subject(line: Line) -> str:
    return f"group {line.group_key} {_quote(line.subject)}" if line.group_key else line.subject


def build_text(plan: Plan) -> Text:
    out = Text()
    if plan.target:
        out.append(f"Target: {plan.target}\n", style="dim")
    if not plan.has_changes:
        out.append("No changes. The live state matches the desired state.\n", style="bold")
    if plan.has_changes:
        _consequences(out, plan)
    for index, (phase, ops) in enumerate(plan.by_phase(), start=1):
        out.append(f"\nPhase {index}: {phase.heading} ({len(ops)})\n", style="bold")
        for op in ops:
            sign = _sign(op)
            out.append(f"  {sign} ", style=_SIGN_STYLE[sign])
            out.append(_head(op) + "\n", style=_SIGN_STYLE[sign])
            for detail_sign, detail in _details(op):
                out.append(f"      {detail_sign or ' '} ", style=_SIGN_STYLE.get(detail_sign, ""))
                out.append(detail + "\n")
            for reason in op.reasons:
                out.append(f"        # {reason}\n", style="dim")
    if plan.notices:
        out.append(f"\nNotices ({len(plan.notices)}):\n", style="bold")
        for notice in plan.notices:
            out.append(f"  ! {notice.kind.value}: ", style="cyan")
            out.append(notice.message + "\n")
    out.append("\nSafety gates:\n", style="bold")
    for gate in plan.safety:
        mark, style = ("ok", "green") if gate.passes else ("OVER LIMIT", "bold red")
        value = str(gate.value).lower() if isinstance(gate.value, bool) else str(gate.value)
        limit = str(gate.limit).lower() if isinstance(gate.limit, bool) else str(gate.limit)
        out.append(f"  {mark:<10} ", style=style)
        out.append(f"{gate.gate.value}: {value} (limit {limit}) - {gate.detail}\n")
    if not plan.passes_safety:
        out.append(
            "\nThis plan is over a safety limit: apply will refuse it (exit 3) unless "
            "the limit is overridden on the command line (R20).\n",
            style="bold red",
        )
    # Just above the summary line, which stays last (CI logs and scripts read it there).
    out.append("\n" + RULES_NOTE + "\n", style="dim")
    out.append(plan.summary.line() + "\n", style="bold")
    return out


def render_text(plan: Plan, *, color: bool = False) -> str:
    """The plan as text; ANSI colour only when `color` is true."""
    text = build_text(plan)
    if not color:
        return text.plain
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=True, color_system="standard", soft_wrap=True, width=200
    )
    console.print(text, end="")
    return buffer.getvalue()
