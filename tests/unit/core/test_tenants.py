"""Many tenants in one repository: which tenants a pull request's changed files select."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.tenants import Tenant, TenantLayoutError, discover, select

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "tenants_repo"  # three tenants: acme, globex, initech
ALWAYS = (".github/workflows/plan.yml", "requirements.lock")


def _names(changed: list[str], root: Path = FIXTURE) -> list[str]:
    return [t.name for t in select(discover(root), changed, always=ALWAYS).tenants]


def test_the_fixture_has_exactly_three_tenants_hidden_folders_and_files_skipped() -> None:
    assert [t.path for t in discover(FIXTURE)] == [
        "tenants/acme",
        "tenants/globex",
        "tenants/initech",
    ]


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["tenants/acme/access.yaml"], ["acme"]),
        (["tenants/initech/tenant.yaml", "tenants/acme/access.yaml"], ["acme", "initech"]),
        (["./tenants/globex/access.yaml", "tenants/globex/tenant.yaml"], ["globex"]),
        (["docs/README.md", "tenants/README.md", "tenants/.template/tenant.yaml"], []),
        (["tenants/acme-old/access.yaml", "tenants/acmex.yaml"], []),  # no prefix matches
        ([], []),
        (["requirements.lock"], ["acme", "globex", "initech"]),  # what every plan uses
        ([".github/workflows/plan.yml", "tenants/acme/x.yaml"], ["acme", "globex", "initech"]),
    ],
)
def test_a_changed_file_list_selects_exactly_the_changed_tenants(
    changed: list[str], expected: list[str]
) -> None:
    assert _names(changed) == expected


def test_a_removed_tenant_is_reported_not_selected() -> None:
    selection = select(discover(FIXTURE), ["tenants/gone/tenant.yaml", "tenants/acme/a.yaml"])
    assert [t.name for t in selection.tenants] == ["acme"]
    assert selection.removed == ("gone",)


def test_the_single_folder_layout_is_the_tenant_without_a_name(tmp_path: Path) -> None:
    (tmp_path / "desired_state").mkdir()
    shutil.copytree(FIXTURE / "tenants", tmp_path / "tenants")
    tenants = discover(tmp_path)
    assert tenants[0] == Tenant(name="", path="desired_state")
    assert _names(["desired_state/users/it.yaml"], tmp_path) == [""]
    assert _names(["desired_state.yaml", "tenants/globex/a.yaml"], tmp_path) == ["globex"]


def test_names_derived_from_a_tenant_keep_credentials_apart() -> None:
    single = Tenant(name="", path="desired_state")
    eu = Tenant(name="acme-eu", path="tenants/acme-eu")
    assert (single.suffix, single.environment) == ("", "teamviewer")
    assert (eu.suffix, eu.environment) == ("_ACME_EU", "teamviewer-acme-eu")
    assert eu.matrix_entry() == {
        "name": "acme-eu",
        "path": "tenants/acme-eu",
        "suffix": "_ACME_EU",
        "environment": "teamviewer-acme-eu",
    }


@pytest.mark.parametrize("folder", ["Acme", "acme_eu", "-acme", "a" * 64])
def test_a_tenant_folder_name_that_cannot_name_a_secret_is_an_error(
    tmp_path: Path, folder: str
) -> None:
    (tmp_path / "tenants" / folder).mkdir(parents=True)
    (tmp_path / "tenants" / folder / "tenant.yaml").write_text("tenant: {}\n")
    with pytest.raises(TenantLayoutError, match=f"tenants/{folder}: a tenant name is lower-case"):
        discover(tmp_path)


def test_a_tenant_folder_without_tenant_yaml_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tenants" / "acme").mkdir(parents=True)
    (tmp_path / "tenants" / "acme" / "users.yaml").write_text("users: []\n")
    with pytest.raises(TenantLayoutError, match=r"tenants/acme: no tenant\.yaml"):
        discover(tmp_path)


def test_a_root_that_is_not_a_folder_is_an_error_not_an_empty_matrix(tmp_path: Path) -> None:
    """A mistyped ROOT must not give CI an empty matrix that silently runs nothing."""
    with pytest.raises(TenantLayoutError, match="no such folder"):
        discover(tmp_path / "missing")
    result = CliRunner().invoke(app, ["tenants", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert result.stdout == ""


def test_cli_prints_the_matrix_of_the_changed_tenants(tmp_path: Path) -> None:
    changed = tmp_path / "changed.txt"
    changed.write_text("tenants/initech/access.yaml\ntenants/acme/tenant.yaml\n\n")
    result = CliRunner().invoke(app, ["tenants", str(FIXTURE), "--changed", str(changed)])
    assert result.exit_code == 0, result.output
    matrix = json.loads(result.stdout)
    assert [entry["name"] for entry in matrix] == ["acme", "initech"]
    assert matrix[0]["environment"] == "teamviewer-acme"
    assert "2 of 3 tenants selected: acme, initech" in result.stderr


def test_cli_without_a_change_list_prints_every_tenant_and_reads_stdin_with_a_dash() -> None:
    every = CliRunner().invoke(app, ["tenants", str(FIXTURE)])
    assert [e["path"] for e in json.loads(every.stdout)] == [t.path for t in discover(FIXTURE)]
    piped = CliRunner().invoke(
        app,
        ["tenants", str(FIXTURE), "--changed", "-", "--always", "requirements.lock"],
        input="requirements.lock\n",
    )
    assert len(json.loads(piped.stdout)) == 3


def test_cli_layout_error_exits_1_with_the_folder_named(tmp_path: Path) -> None:
    (tmp_path / "tenants" / "Bad").mkdir(parents=True)
    result = CliRunner().invoke(app, ["tenants", str(tmp_path)])
    assert result.exit_code == 1
    assert "tenants/Bad: a tenant name is lower-case" in result.stderr


@pytest.mark.parametrize("name", ["acme", "globex", "initech"])
def test_every_fixture_tenant_is_a_valid_desired_state(name: str) -> None:
    result = CliRunner().invoke(app, ["validate", str(FIXTURE / "tenants" / name)])
    assert result.exit_code == 0, result.output
