"""The HTML report in a real browser: headless Chromium opens it from disk, offline.

The report is made by the command line from a git repository built here (a few commits,
pull requests) and a live snapshot. Checked in the browser: every user is shown, the
filter works when typed into, sorting works, a `<script>` in a name stays text, nothing
is logged on the console, and the screenshot is of the expected size and not blank.
`RECONCILE_WRITE_SCREENSHOT=1` also writes it to docs/images/report.png (the README's).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.live.snapshot import write_snapshot
from tests.integration.report.browser import (
    chromium_page,
    find_chromium,
    png_distinct_bytes,
    png_size,
    screenshot,
)
from tests.unit.plan.builders import lg, live, lu
from tests.unit.report.gitrepo import GitRepo

pytestmark = [pytest.mark.slow, pytest.mark.integration]

WIDTH, HEIGHT = 1280, 900
README_SCREENSHOT = Path(__file__).parents[3] / "docs" / "images" / "report.png"
INJECTION = "Mallory <script>document.title='owned'</script><img src=x onerror=alert(1)>"
PEOPLE = [
    ("ann.lee@example.test", "Ann Lee"),
    ("bob.stone@example.test", "Bob Stone"),
    ("cy.park@example.test", "Cy Park"),
    ("dee.ray@example.test", "Dee Ray"),
    ("eve.moss@example.test", "Eve Moss"),
    ("mallory@example.test", INJECTION),
]


def users_yaml(people: list[tuple[str, str]]) -> str:
    lines = ["users:"]
    for email, name in people:
        quoted = name.replace("'", "''")
        lines += [f"  - email: {email}", f"    display_name: '{quoted}'"]
    return "\n".join(lines) + "\n"


def groups_yaml(groups: dict[str, tuple[str, list[str]]]) -> str:
    lines = ["groups:"]
    for key, (name, members) in groups.items():
        lines += [f"  {key}:", f"    name: {name}", f"    members: [{', '.join(members)}]"]
    return "\n".join(lines) + "\n"


def build_repository(root: Path) -> GitRepo:
    repo = GitRepo(root)
    emails = [email for email, _ in PEOPLE]
    repo.write("desired_state/users.yaml", users_yaml(PEOPLE[:3]))
    repo.write(
        "desired_state/groups.yaml",
        groups_yaml(
            {"engineering": ("Engineering", emails[:2]), "support": ("Support", emails[2:3])}
        ),
    )
    repo.commit("Initial access (#1)")
    for number, (people, groups) in enumerate(
        [
            (PEOPLE[:5], {"engineering": ("Engineering", emails[:2]),
                          "support": ("Support", emails[2:5])}),
            (PEOPLE, {"engineering": ("Engineering", [emails[0], emails[5]]),
                      "support": ("Support", emails[2:5]), "it": ("IT Admins", [emails[3]])}),
        ],
        start=2,
    ):  # fmt: skip
        repo.git("checkout", "-q", "-b", f"change-{number}")
        repo.write("desired_state/users.yaml", users_yaml(people))
        repo.write("desired_state/groups.yaml", groups_yaml(groups))
        repo.commit(f"Access change {number}", author="Dana Author")
        repo.merge_pr(f"change-{number}", 10 + number)
    return repo


def make_report(tmp_path: Path) -> Path:
    repo = build_repository(tmp_path / "access")
    state = live(
        [lu("u1", "ann.lee@example.test", "Ann Lee"),
         lu("u2", "bob.stone@example.test", "Bob Stone"),
         lu("u3", "cy.park@example.test", "Cy Park"),
         lu("u9", "old.timer@example.test", "Old Timer")],
        [lg("g1", "Engineering", ["u1", "u2", "u9"]), lg("g2", "Support", ["u3"])],
    )  # fmt: skip
    snapshot = tmp_path / "live.json"
    write_snapshot(state, snapshot, target_label="https://scim.example.test/scim/v2")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app,
        ["report", str(repo.root / "desired_state"), "--live", str(snapshot),
         "--since", "2026-01-01", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return binary


VISIBLE_ROWS = "[...document.querySelectorAll('#access-table tbody tr')].filter(r => !r.hidden)"


def test_report_opens_offline_in_chromium_filters_sorts_and_keeps_names_as_text(
    tmp_path: Path, chromium: str
) -> None:
    report = make_report(tmp_path)
    with chromium_page(chromium, width=WIDTH, height=HEIGHT) as page:
        page.send("Page.navigate", url=report.as_uri())
        page.wait_for("Page.loadEventFired")
        assert page.evaluate("document.body.dataset.ready") == "1"  # the script ran to its end
        image = screenshot(page)
        rows = page.evaluate(f"{VISIBLE_ROWS}.map(r => r.cells[0].textContent)")
        assert set(rows) == {email for email, _ in PEOPLE} | {"old.timer@example.test"}
        assert len(rows) == 8  # ann, bob (live only), mallory in eng; cy, dee, eve; dee in it; old

        # The injection stayed text: one script (ours), no image, the title untouched.
        assert page.evaluate("document.scripts.length") == 1
        assert page.evaluate("document.images.length") == 0
        assert page.evaluate("document.title").startswith("Access report")
        assert INJECTION in page.evaluate("document.getElementById('access-table').innerText")

        page.evaluate("document.getElementById('filter').focus()")
        page.send("Input.insertText", text="support")
        shown = page.evaluate(f"{VISIBLE_ROWS}.map(r => r.cells[0].textContent)")
        assert sorted(shown) == [
            "cy.park@example.test",
            "dee.ray@example.test",
            "eve.moss@example.test",
        ]
        assert page.evaluate("document.getElementById('shown').textContent") == "3 of 8 rows"

        page.evaluate("document.querySelector('th button[data-col=\"0\"]').click()")
        page.evaluate("document.querySelector('th button[data-col=\"0\"]').click()")  # descending
        assert page.evaluate(f"{VISIBLE_ROWS}.map(r => r.cells[0].textContent)") == [
            "eve.moss@example.test", "dee.ray@example.test", "cy.park@example.test",
        ]  # fmt: skip
        assert page.evaluate("document.querySelectorAll('.card').length") == 3
        assert page.evaluate("document.querySelectorAll('svg polyline').length") == 2

        # Printed (auditors file it as PDF): no controls, the filter in use said in words.
        page.send("Emulation.setEmulatedMedia", media="print")
        style = "getComputedStyle(document.querySelector('{}')).display"
        assert page.evaluate(style.format(".controls")) == "none"
        assert page.evaluate(style.format("#print-filter")) == "block"
        assert page.evaluate("document.getElementById('print-filter').textContent") == (
            "Filtered: text \u201csupport\u201d (3 of 8 rows)"
        )
        pdf = base64.b64decode(page.send("Page.printToPDF", timeout=20)["data"])
        assert pdf.startswith(b"%PDF")
        assert page.problems() == []

    assert png_size(image) == (WIDTH, HEIGHT)
    assert png_distinct_bytes(image) > 32, "the screenshot is blank"
    if os.environ.get("RECONCILE_WRITE_SCREENSHOT"):
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        README_SCREENSHOT.write_bytes(image)


def test_readme_screenshot_is_a_real_screenshot_of_the_report() -> None:
    data = README_SCREENSHOT.read_bytes()
    assert png_size(data) == (WIDTH, HEIGHT)
    assert png_distinct_bytes(data) > 32
