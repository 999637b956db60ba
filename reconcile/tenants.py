"""Many tenants in one repository: which desired-state folders a change touches.

Layout (relative to the repository root):

    desired_state/        the single-folder layout: one tenant without a name
    tenants/NAME/         one desired-state folder per TeamViewer company, each with its
                          own tenant.yaml; NAME is lower-case letters, digits and '-'

CI fans the selected tenants out as one job each (a GitHub Actions matrix) instead of
this tool running many companies itself. Everything that must differ per tenant is
derived from the name, so one tenant's job can never pick up another tenant's token
by accident: the secret suffix (`acme-eu` -> `_ACME_EU`, as in `TEAMVIEWER_TOKEN_ACME_EU`)
and the GitHub environment (`teamviewer-acme-eu`). The single-folder layout keeps the
plain names (`TEAMVIEWER_TOKEN`, environment `teamviewer`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reconcile.errors import ReconcileError

SINGLE_DIR: Final = "desired_state"
TENANTS_DIR: Final = "tenants"
TENANT_FILES: Final = ("tenant.yaml", "tenant.yml")
ENVIRONMENT: Final = "teamviewer"
# Lower-case so that the derived secret suffix is unique (`a-b` and `A-B` would collide).
_NAME: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class TenantLayoutError(ReconcileError):
    """The tenants/ folder does not follow the documented layout."""


@dataclass(frozen=True, kw_only=True, order=True)
class Tenant:
    """One desired-state folder and the names CI derives from it."""

    name: str  # "" for the single-folder layout
    path: str  # POSIX, relative to the repository root

    @property
    def suffix(self) -> str:
        """Appended to secret and variable names: "" or e.g. "_ACME_EU"."""
        return "_" + self.name.upper().replace("-", "_") if self.name else ""

    @property
    def environment(self) -> str:
        """The GitHub environment whose secrets only this tenant's write jobs see."""
        return f"{ENVIRONMENT}-{self.name}" if self.name else ENVIRONMENT

    def owns(self, changed: str) -> bool:
        return changed == self.path or changed.startswith(self.path + "/")

    def matrix_entry(self) -> dict[str, str]:
        return {
            "name": self.name,
            "path": self.path,
            "suffix": self.suffix,
            "environment": self.environment,
        }


@dataclass(frozen=True, kw_only=True)
class Selection:
    tenants: tuple[Tenant, ...]  # in sorted order
    removed: tuple[str, ...]  # tenant folders the change deleted (nothing to run there)


def discover(root: Path) -> list[Tenant]:
    """Every tenant of the repository at `root`, sorted (the single layout first)."""
    if not root.is_dir():
        raise TenantLayoutError(
            f"{root}: no such folder; pass the repository's root (the folder that holds "
            f"{SINGLE_DIR}/ or {TENANTS_DIR}/)"
        )
    found = []
    if (root / SINGLE_DIR).is_dir():
        found.append(Tenant(name="", path=SINGLE_DIR))
    folder = root / TENANTS_DIR
    if not folder.is_dir():
        return found
    problems = []
    for child in sorted(folder.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        display = f"{TENANTS_DIR}/{child.name}"
        if not _NAME.fullmatch(child.name):
            problems.append(
                f"{display}: a tenant name is lower-case letters, digits and '-' (at most "
                "63, not starting or ending with '-'); rename the folder"
            )
        elif not any((child / name).is_file() for name in TENANT_FILES):
            problems.append(f"{display}: no tenant.yaml; every tenant folder needs its own")
        else:
            found.append(Tenant(name=child.name, path=display))
    if problems:
        raise TenantLayoutError("; ".join(problems))
    return found


def select(
    tenants: Sequence[Tenant], changed: Iterable[str], *, always: Sequence[str] = ()
) -> Selection:
    """The tenants a list of changed files (repository-relative, as git prints them) touches.

    A changed file under one of `always` (the workflow, the action, the lock file: what
    every plan depends on) selects every tenant.
    """
    paths = [_normalise(path) for path in changed if path.strip()]
    prefixes = [_normalise(path).rstrip("/") for path in always]
    if any(path == p or path.startswith(p + "/") for path in paths for p in prefixes):
        return Selection(tenants=tuple(sorted(tenants)), removed=())
    chosen = {t for t in tenants if any(t.owns(path) for path in paths)}
    known = {t.name for t in tenants}
    removed = {
        parts[1]
        for parts in (path.split("/") for path in paths)
        if len(parts) > 2
        and parts[0] == TENANTS_DIR
        and parts[1] not in known
        and not parts[1].startswith(".")
    }
    return Selection(tenants=tuple(sorted(chosen)), removed=tuple(sorted(removed)))


def _normalise(path: str) -> str:
    path = path.strip().replace("\\", "/")
    return path.removeprefix("./")
