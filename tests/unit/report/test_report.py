"""The report model (from the plan's facts) and its CSV, JSON, Markdown and HTML contracts."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reconcile.plan import plan
from reconcile.report import (
    REPORT_FORMAT_VERSION,
    LiveMembership,
    Report,
    State,
    build_report,
    find_repository,
    walk,
)
from reconcile.report.render import ReportFormat, render_csv, render_json, render_markdown
from reconcile.report.render.csv import COLUMNS
from reconcile.report.render.html import render_html
from tests.unit.plan.builders import desired, dg, du, lg, live, lu
from tests.unit.report.gitrepo import GitRepo

NOW = datetime(2026, 3, 1, tzinfo=UTC)
EVIL = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def sample(*, history: bool = False, tmp_path: Path | None = None) -> Report:
    """Ann and Bob declared in eng; live: Ann in it, Bob missing, Zed live only; Cy suspended."""
    state = desired(
        [du("ann@example.test", "Ann Lee"), du("bob@example.test", EVIL),
         du("cy@example.test", "Cy Park", suspended=True)],
        [dg("eng", "Engineering", ["ann@example.test", "bob@example.test"]),
         dg("ops", "=HYPERLINK(\"http://x\")", ["cy@example.test"])],
    )  # fmt: skip
    now_live = live(
        [lu("u1", "ann@example.test", "Ann Lee"), lu("u2", "bob@example.test", EVIL),
         lu("u3", "cy@example.test", "Cy Park", active=False), lu("u9", "zed@example.test", "Zed")],
        [lg("g1", "Engineering", ["u1", "u9"]), lg("g2", "=HYPERLINK(\"http://x\")", ["u3"])],
    )  # fmt: skip
    walked, note = None, "no git here"
    if history:
        assert tmp_path is not None
        repo = GitRepo(tmp_path / "repo")
        repo.write("ds/a.yaml", "users:\n  - email: ann@example.test\n    display_name: Ann Lee\n")
        repo.write(
            "ds/g.yaml", "groups:\n  eng:\n    name: Engineering\n    members: [ann@example.test]\n"
        )
        repo.commit("Grant Ann (#5)")
        found = find_repository(repo.root / "ds")
        assert found is not None
        walked, note = walk(found, period_start=None), None
    return build_report(
        desired=state,
        live=now_live,
        plan=plan(state, now_live),
        history=walked,
        history_note=note,
        period_start=None,
        now=NOW,
    )


def test_rows_join_declared_and_live_from_the_plan() -> None:
    rows = {(r.email, r.group): r for r in sample().rows}
    assert rows["ann@example.test", "eng"].live is LiveMembership.YES
    assert rows["bob@example.test", "eng"].live is LiveMembership.MISSING
    zed = rows["zed@example.test", "eng"]
    assert (zed.live, zed.declared, zed.name) == (LiveMembership.LIVE_ONLY, False, "Zed")
    assert rows["cy@example.test", "ops"].state is State.SUSPENDED


def test_users_carry_their_mismatches_and_the_summary_counts_them() -> None:
    report = sample()
    users = {u.email: u for u in report.users}
    assert users["zed@example.test"].mismatches == ("in TeamViewer, not declared",)
    assert users["ann@example.test"].mismatches == ()
    assert report.summary.mismatches == 3  # zed not declared, bob missing, zed live only
    assert (report.summary.users, report.summary.memberships) == (4, 3)
    assert report.summary.active_users == 3  # ann, bob, zed (live only, active)


def test_r11_memberships_are_not_compared_without_group_management() -> None:
    state = desired([du("ann@example.test")], [dg("eng", None, ["ann@example.test"])],
                    manage_groups=False)  # fmt: skip
    now_live = live([lu("u1", "ann@example.test")])
    report = build_report(desired=state, live=now_live, plan=plan(state, now_live),
                          history=None, history_note=None, period_start=None, now=NOW)  # fmt: skip
    assert [r.live for r in report.rows] == [LiveMembership.NOT_COMPARED]


def test_csv_contract_one_row_per_user_and_group_with_the_granting_commit(tmp_path: Path) -> None:
    report = sample(history=True, tmp_path=tmp_path)
    table = list(csv.reader(io.StringIO(render_csv(report))))
    assert tuple(table[0]) == COLUMNS
    assert COLUMNS[:8] == ("email", "name", "group", "state", "since", "commit", "author", "pr")
    records = [dict(zip(COLUMNS, row, strict=True)) for row in table[1:]]
    assert len(records) == len(report.rows)
    ann = next(r for r in records if r["email"] == "ann@example.test")
    assert (ann["group"], ann["state"], ann["pr"], ann["author"]) == (
        "eng",
        "active",
        "5",
        "Alex Admin",
    )
    assert re.fullmatch(r"[0-9a-f]{40}", ann["commit"])
    assert ann["since"] == "2026-01-01T10:00:00+00:00"
    bob = next(r for r in records if r["email"] == "bob@example.test")
    assert (bob["commit"], bob["name"]) == ("", EVIL)  # not in history: no commit


def test_csv_cells_that_a_spreadsheet_would_evaluate_are_quoted_as_text() -> None:
    text = render_csv(sample())
    records = list(csv.DictReader(io.StringIO(text)))
    cy = next(r for r in records if r["email"] == "cy@example.test")
    assert cy["group_name"] == '\'=HYPERLINK("http://x")'


def test_json_contract_is_versioned_and_complete(tmp_path: Path) -> None:
    report = sample(history=True, tmp_path=tmp_path)
    doc = json.loads(render_json(report))
    assert doc["format_version"] == REPORT_FORMAT_VERSION == 1
    assert doc["kind"] == "access_report"
    assert set(doc) == {
        "format_version", "kind", "generated_at", "source", "period_start", "history",
        "summary", "users", "memberships", "groups", "events", "series", "notes",
    }  # fmt: skip
    assert doc["history"] == {"available": True, "note": None, "commits": 1}
    ann = next(m for m in doc["memberships"] if m["email"] == "ann@example.test")
    assert ann["since"]["pr"] == 5
    assert set(ann["since"]) == {"sha", "date", "author", "author_email", "subject", "pr"}
    assert doc["events"][0]["kind"] == "grant"
    assert render_json(report) == render_json(report)  # stable bytes


class _Text(HTMLParser):
    """Every tag the page contains, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_every_name_and_needs_nothing_from_the_network() -> None:
    page = render_html(sample())
    parser = _Text()
    parser.feed(page)
    assert parser.tags.count("script") == 1  # ours, at the end; the name stayed text
    assert "img" not in parser.tags
    assert EVIL in "".join(parser.text)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page
    assert "url(" not in page


def test_html_has_the_summary_table_cards_and_chart(tmp_path: Path) -> None:
    page = render_html(sample(history=True, tmp_path=tmp_path))
    for marker in ('id="summary"', 'id="access-table"', 'class="card"', "<svg", "@media print"):
        assert marker in page
    assert page.count('<tr data-state="') == 4  # ann, bob, zed (live only) in eng; cy in ops
    assert "PR #5" in page


def test_html_group_cards_count_members_in_the_singular_and_plural() -> None:
    page = render_html(sample())
    assert '<p class="count">1 member</p>' in page  # ops: cy
    assert '<p class="count">3 members</p>' in page  # eng: ann, bob, zed (live only)


def test_markdown_escapes_names_and_lists_mismatches() -> None:
    text = render_markdown(sample())
    assert "<script>" not in text
    assert "in TeamViewer, not declared" in text


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("r.csv", "csv"),
        ("r.json", "json"),
        ("r.md", "markdown"),
        ("r.html", "html"),
        (None, "html"),
    ],
)
def test_format_follows_the_output_file_name(name: str | None, fmt: str) -> None:
    assert ReportFormat.for_file(Path(name) if name else None).value == fmt
