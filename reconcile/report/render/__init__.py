"""Report renderers: they read a Report and never recompute anything.

render_html(report)      one self-contained page: summary, table, group cards, chart
render_csv(report)       one row per user and group, for spreadsheets
render_json(report)      the versioned report contract (docs/report-format.md)
render_markdown(report)  for a pull request, an issue or a wiki
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from reconcile.report.model import Report
from reconcile.report.render.csv import render_csv
from reconcile.report.render.html import render_html
from reconcile.report.render.json import render_json
from reconcile.report.render.markdown import render_markdown


class ReportFormat(StrEnum):
    HTML = "html"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"

    @classmethod
    def for_file(cls, path: Path | None) -> ReportFormat:
        """The format a file name asks for (report.csv -> csv); HTML otherwise."""
        suffix = path.suffix.lower() if path is not None else ""
        return _SUFFIXES.get(suffix, cls.HTML)


_SUFFIXES = {
    ".csv": ReportFormat.CSV,
    ".json": ReportFormat.JSON,
    ".md": ReportFormat.MARKDOWN,
    ".markdown": ReportFormat.MARKDOWN,
}
_RENDERERS = {
    ReportFormat.HTML: render_html,
    ReportFormat.CSV: render_csv,
    ReportFormat.JSON: render_json,
    ReportFormat.MARKDOWN: render_markdown,
}


def render_report(report: Report, fmt: ReportFormat) -> str:
    return _RENDERERS[fmt](report)


__all__ = [
    "ReportFormat",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "render_report",
]
