"""The apply job overrides a safety gate (R20) only as the merged pull request's label and
reviewed plan allow (issue 15 item 4): scripts/mass_change.py over real plans made by the
real planner, and the action's steps run by bash as GitHub runs them."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from reconcile.plan.model import Gate
from reconcile.plan.safety import DEACTIVATION_GATES
from tests.unit.core.cli_lines import invocations, parse

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "mass_change.py"
BIN = str(Path(sys.executable).parent)  # the `reconcile` and `python` of the tests
SHA = "c0ffee" + "0" * 34


def _desired(root: Path, name: str, *, edits: dict[str, tuple[str, str]]) -> Path:
    """A copy of the example desired state with `edits` ({file: (old, new)}) made."""
    folder = root / name
    shutil.copytree(REPO / "desired_state", folder)
    for file, (old, new) in edits.items():
        path = folder / file
        text = path.read_text(encoding="utf-8")
        assert old in text, (file, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


OVER = {"tenant.yaml": ("max_deactivations: 10", "max_deactivations: 2")}
OTHER = {"tenant.yaml": ("max_group_deletions: 3", "max_group_deletions: 0")}
VARIANTS: dict[str, dict[str, tuple[str, str]]] = {
    "within": {},  # 3 deactivations, every gate passes
    "over": OVER,  # 3 deactivations over a limit of 2
    "other": OTHER,  # one group deletion over a limit of 0
    # Tom no longer suspended: 2 deactivations (what a reviewer saw before a later change)
    "two": OVER | {"users/support.yaml": ("    suspended: true", "    suspended: false")},
}


def _environ(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("RECONCILE", "TEAM"))}
    return environ | {"PATH": f"{BIN}:{os.environ['PATH']}"} | extra


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The JSON plan of each variant, by `reconcile plan` against the embedded demo."""
    root = tmp_path_factory.mktemp("plans")
    made = {}
    for name, edits in VARIANTS.items():
        folder = _desired(root, name, edits=edits)
        out = root / f"{name}.json"
        done = subprocess.run(
            ["reconcile", "plan", str(folder), "--target", "embedded", "--out", str(out)],
            cwd=root,
            env=_environ(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        made[name] = out
    return made


def _failed(plan: Path) -> set[str]:
    safety = json.loads(plan.read_text(encoding="utf-8"))["safety"]
    return {name for name, gate in safety.items() if not gate["passes"]}


def _decide(plan: Path, *, labeled: bool, pr: int | None = 42) -> tuple[list[str], str]:
    words = ["args", "--plan", str(plan), *(["--labeled"] if labeled else [])]
    words += ["--pr", str(pr)] if pr is not None else []
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *words], capture_output=True, text=True, check=True
    )
    return shlex.split(done.stdout), done.stderr


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mass_change", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _action_step(step_id: str) -> dict[str, Any]:
    steps = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    [step] = [s for s in steps if s.get("id") == step_id]
    return dict(step)


def _apply_line(extra: list[str]) -> dict[str, Any]:
    """The action's `reconcile apply` line with the override array as the script printed it,
    parsed by the real command line."""
    script: str = _action_step("write")["run"]
    [line] = [line for line in script.splitlines() if '"${override[@]}"' in line]
    [words] = invocations(line.replace('"${override[@]}"', shlex.join(extra)))
    return parse(words)


def test_the_planner_fails_the_gates_each_case_is_about(plans: dict[str, Path]) -> None:
    assert _failed(plans["within"]) == set()
    assert _failed(plans["over"]) == {"max_deactivations"}
    assert _failed(plans["other"]) == {"max_group_deletions"}
    # The script knows the planner's gate names, and which ones --allow-deactivations covers.
    script = _load_script()
    assert {gate.value for gate in DEACTIVATION_GATES} == script.DEACTIVATION_GATES
    safety = json.loads(plans["within"].read_text(encoding="utf-8"))["safety"]
    assert set(safety) == {gate.value for gate in Gate}


def test_without_the_label_nothing_is_overridden(plans: dict[str, Path]) -> None:
    args, reason = _decide(plans["over"], labeled=False)
    assert args == []
    assert "pull request #42 does not carry the label `reconcile:allow-mass-change`" in reason
    args, reason = _decide(plans["over"], labeled=False, pr=None)
    assert args == []
    assert "this push merged no pull request with the label" in reason
    assert _apply_line(args)["allow_deactivations"] is None
    assert _apply_line(args)["allow_mass_change"] is False


@pytest.mark.parametrize("variant", ["within", "over"])
def test_with_the_label_the_override_is_bounded_by_the_reviewed_count(
    plans: dict[str, Path], variant: str
) -> None:
    args, reason = _decide(plans[variant], labeled=True)
    assert args == ["--allow-deactivations", "3"]
    assert "deactivates 3 user(s)" in reason
    params = _apply_line(args)
    assert params["allow_deactivations"] == 3
    assert params["allow_mass_change"] is False


def test_another_failed_gate_adds_allow_mass_change(plans: dict[str, Path]) -> None:
    args, reason = _decide(plans["other"], labeled=True)
    assert args == ["--allow-deactivations", "3", "--allow-mass-change"]
    assert "`max_group_deletions`" in reason
    params = _apply_line(args)
    assert params["allow_deactivations"] == 3
    assert params["allow_mass_change"] is True


def _mutations(text: str) -> dict[str, str]:
    document = json.loads(text)

    def changed(**keys: Any) -> str:
        copy = json.loads(text)
        for dotted, value in keys.items():
            *parents, last = dotted.split("__")
            node = copy
            for parent in parents:
                node = node[parent]
            node[last] = value
        return json.dumps(copy)

    gate = next(iter(document["safety"]))
    return {
        "not json": text[: len(text) // 2],
        "not a plan": "[]",
        "newer format": changed(format_version=2),
        "a bool as count": changed(summary__deactivations=True),
        "a negative count": changed(summary__deactivations=-1),
        "no safety": changed(safety={}),
        "a gate without passes": changed(**{f"safety__{gate}": {"value": 1}}),
    }


def test_a_missing_or_unreadable_plan_overrides_nothing_and_says_so(
    plans: dict[str, Path], tmp_path: Path
) -> None:
    args, reason = _decide(tmp_path / "absent" / "plan.json", labeled=True)
    assert args == []
    assert reason.startswith("**No override**: pull request #42 carries the label")
    assert "no plan file (`plan.json`)" in reason
    assert "refused (exit 3)" in reason
    for case, text in _mutations(plans["over"].read_text(encoding="utf-8")).items():
        broken = tmp_path / "plan.json"
        broken.write_text(text, encoding="utf-8")
        args, reason = _decide(broken, labeled=True)
        assert args == [], case
        assert "**No override**" in reason, case


def _pull(number: int, *, merge: str | None, merged: bool, labels: list[str]) -> dict[str, Any]:
    return {
        "number": number,
        "merged_at": "2026-12-02T10:00:00Z" if merged else None,
        "merge_commit_sha": merge,
        "labels": [{"name": name} for name in labels],
    }


LABEL = "reconcile:allow-mass-change"
LISTING = [
    _pull(7, merge="f" * 40, merged=False, labels=[LABEL]),  # open, only contains the commit
    _pull(8, merge="e" * 40, merged=True, labels=[LABEL]),  # merged elsewhere
    _pull(9, merge=SHA, merged=True, labels=["docs", LABEL]),
]


def _merged_step(tmp_path: Path, *, listing: Any, gh_fails: bool = False) -> tuple[str, str]:
    """The action's "Find the pull request" script with a stand-in `gh`; returns
    ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (tmp_path / "listing.json").write_text(json.dumps(listing), encoding="utf-8")
    calls = tmp_path / "gh-calls"
    body = "exit 1" if gh_fails else f'cat "{tmp_path / "listing.json"}"'
    (fake / "gh").write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n{body}\n', encoding="utf-8")
    (fake / "gh").chmod(0o755)
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.write_text("")
    summary.write_text("")
    environ = _environ(GITHUB_ACTION_PATH=str(REPO), REPOSITORY="o/r", SHA=SHA, TITLE="")
    environ |= {"OUT": str(tmp_path), "GITHUB_OUTPUT": str(output)}
    environ |= {"GITHUB_STEP_SUMMARY": str(summary), "PATH": f"{fake}:{environ['PATH']}"}
    subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", _action_step("merged")["run"]],
        env=environ,
        check=True,
        capture_output=True,
    )
    assert calls.read_text().split() == ["api", f"repos/o/r/commits/{SHA}/pulls?per_page=100"]
    return output.read_text(), summary.read_text()


def test_the_pull_request_merged_by_the_push_is_found_with_its_label(tmp_path: Path) -> None:
    output, _ = _merged_step(tmp_path, listing=LISTING)
    assert output.splitlines() == ["number=9", "labeled=true"]


@pytest.mark.parametrize(
    "listing",
    [
        [_pull(9, merge=SHA, merged=True, labels=["docs"])],  # no label
        LISTING[:2],  # a direct push: no pull request merged it
        {"message": "Not Found"},
    ],
    ids=["unlabeled", "direct push", "not a listing"],
)
def test_no_labeled_merge_no_label(tmp_path: Path, listing: Any) -> None:
    output, _ = _merged_step(tmp_path, listing=listing)
    assert "labeled=false" in output.splitlines()


def test_a_failed_lookup_overrides_nothing_and_says_so(tmp_path: Path) -> None:
    output, summary = _merged_step(tmp_path, listing=[], gh_fails=True)
    assert output.splitlines() == ["labeled=false"]
    assert "cannot list the pull requests" in summary
    assert "no safety gate is overridden" in summary


def _apply_job(tmp_path: Path, *, desired: Path, labeled: str, reviewed: Path | None) -> int:
    """The action's override and apply steps in a row, against the embedded demo."""
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.write_text("")
    environ = _environ(GITHUB_ACTION_PATH=str(REPO), OUT=str(tmp_path), TITLE="")
    environ |= {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    absent = tmp_path / "not-downloaded" / "plan.json"
    environ |= {"LABELED": labeled, "PR": "9", "REVIEWED_PLAN": str(reviewed or absent)}
    subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", _action_step("override")["run"]],
        cwd=tmp_path,
        env=environ,
        check=True,
        capture_output=True,
    )
    [args] = [line for line in output.read_text().splitlines() if line.startswith("args=")]
    environ |= {"COMMAND": "apply", "DESIRED": str(desired), "RECONCILE_TARGET": "embedded"}
    environ |= {"OVERRIDE_ARGS": args.removeprefix("args=")}
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", _action_step("write")["run"]],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        check=False,
    )
    return done.returncode


def test_the_job_applies_an_approved_mass_change_and_only_up_to_the_reviewed_count(
    plans: dict[str, Path], tmp_path: Path
) -> None:
    desired = _desired(tmp_path, "merged", edits=OVER)  # 3 deactivations, limit 2
    runs = {
        "no label": ("false", plans["over"]),
        "label, no plan": ("true", None),
        "label, 2 reviewed": ("true", plans["two"]),
        "label, 3 reviewed": ("true", plans["over"]),
    }
    codes = {}
    for case, (labeled, reviewed) in runs.items():
        job = tmp_path / case.replace(" ", "-").replace(",", "")
        job.mkdir()
        codes[case] = _apply_job(job, desired=desired, labeled=labeled, reviewed=reviewed)
        summary = (job / "summary").read_text(encoding="utf-8")
        assert "## reconcile apply: safety gates" in summary
        assert f"(exit {codes[case]})" in summary
    # Refused by the gate (3), or applied: the demo tenant's own conflict (robin.hill, 409)
    # fails one operation of the applied plan (exit 1, R17), every other one is done.
    assert codes == {
        "no label": 3,
        "label, no plan": 3,
        "label, 2 reviewed": 3,
        "label, 3 reviewed": 1,
    }
    for case in ("no-label", "label-no-plan", "label-2-reviewed"):
        assert "Apply finished" not in (tmp_path / case / "summary").read_text(encoding="utf-8")
    applied = (tmp_path / "label-3-reviewed" / "summary").read_text(encoding="utf-8")
    assert "Apply finished: 13 done, 1 failed" in applied
    audit = (tmp_path / "label-3-reviewed" / "audit.jsonl").read_text(encoding="utf-8")
    events = [json.loads(line) for line in audit.splitlines()]
    deactivated = [e["resource"] for e in events if e["event_type"] == "user_deprovision"]
    assert {"alex.morgan@example.test", "dana.white@example.test"} <= set(deactivated)


def test_expire_never_gets_an_override() -> None:
    assert _action_step("override")["if"] == "inputs.command == 'apply'"
    assert (
        _action_step("merged")["if"] == "inputs.command == 'apply' && github.event_name == 'push'"
    )
    script: str = _action_step("write")["run"]
    expire = script.split("expire)", 1)[1]
    assert "override" not in expire.replace("no override", "")
    [words, _expiring] = invocations(expire)
    params = parse(words)
    assert params["expired_only"] is True
    assert params["allow_deactivations"] is None
    assert params["allow_mass_change"] is False
    workflow = yaml.safe_load((REPO / ".github/workflows/expire.yml").read_text("utf-8"))
    assert workflow["jobs"]["expire"]["permissions"] == {"contents": "read"}
