"""Renderers: they read a Plan and never recompute anything.

render_text(plan, color=...)       Terraform-like, grouped by phase
render_markdown(plan, max_chars=)  pull-request comment, capped with a note
render_json(plan)                  the versioned JSON contract
render(plan, fmt, color=...)       dispatch on an OutputFormat
"""

from __future__ import annotations

from enum import StrEnum

from reconcile.plan.model import Plan
from reconcile.plan.render.json import render_json
from reconcile.plan.render.markdown import MAX_COMMENT_CHARS, render_markdown
from reconcile.plan.render.text import render_text


class OutputFormat(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


def render(plan: Plan, fmt: OutputFormat, *, color: bool = False) -> str:
    if fmt is OutputFormat.JSON:
        return render_json(plan)
    if fmt is OutputFormat.MARKDOWN:
        return render_markdown(plan)
    return render_text(plan, color=color)


__all__ = [
    "MAX_COMMENT_CHARS",
    "OutputFormat",
    "render",
    "render_json",
    "render_markdown",
    "render_text",
]
