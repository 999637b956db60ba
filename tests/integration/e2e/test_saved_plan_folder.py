"""A saved plan stands alone: it records the folder it was made from (issue 14 item 4).

`plan PATH --out FILE` records PATH relative to the working directory; `apply --plan FILE`
without PATH plans again from that folder (R21 checks unchanged); PATH still overrides;
a recorded folder that is missing is a clear error and nothing is written.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.integration.e2e.conftest import Workspace, drop_robin

pytestmark = pytest.mark.integration


@pytest.fixture
def elsewhere(demo: Workspace) -> Workspace:
    """The desired state moved to config/tenant-a, the plan saved under plans/."""
    drop_robin(demo)
    (demo.root / "config").mkdir()
    shutil.move(demo.desired, demo.root / "config" / "tenant-a")
    (demo.root / "plans").mkdir()
    saved = demo.run("plan", "config/tenant-a", "--out", "plans/plan.json")
    assert saved.code == 0, saved.stderr
    return demo


def test_the_plan_records_its_folder_relative_to_the_working_directory(
    elsewhere: Workspace,
) -> None:
    doc = json.loads((elsewhere.root / "plans" / "plan.json").read_text(encoding="utf-8"))
    assert doc["desired_state"] == "config/tenant-a"
    assert doc["format_version"] == 1


def test_apply_plan_without_path_uses_the_recorded_folder(elsewhere: Workspace) -> None:
    applied = elsewhere.run("apply", "--plan", "plans/plan.json", "--auto-approve")
    assert applied.code == 0, applied.stderr
    assert elsewhere.writes() > 0
    again = elsewhere.run("plan", "config/tenant-a", "--detailed-exitcode")
    assert again.code == 0, again.stdout  # R22: converged


def test_path_overrides_and_r21_still_compares_the_desired_state(elsewhere: Workspace) -> None:
    other = elsewhere.root / "other"
    shutil.copytree(elsewhere.root / "config" / "tenant-a", other)
    (other / "extra.yaml").write_text(
        "users:\n  - email: extra.person@example.test\n    first_name: Extra\n"
        "    last_name: Person\n",
        encoding="utf-8",
    )
    refused = elsewhere.run("apply", "other", "--plan", "plans/plan.json", "--auto-approve")
    assert refused.code == 3, refused.stderr
    assert "desired state changed" in refused.stderr
    assert elsewhere.writes() == 0


def test_a_missing_recorded_folder_is_a_clear_error(elsewhere: Workspace) -> None:
    shutil.rmtree(elsewhere.root / "config")
    failed = elsewhere.run("apply", "--plan", "plans/plan.json", "--auto-approve")
    assert failed.code == 1
    assert "config/tenant-a" in failed.stderr
    assert "pass the desired-state folder as PATH" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert elsewhere.writes() == 0
