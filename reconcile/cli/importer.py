"""`reconcile import`: write live users (and groups) that are not declared yet as YAML."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import typer
from rich.table import Table

from reconcile.cli.app import app
from reconcile.cli.common import fail, stderr, stdout
from reconcile.cli.desired_input import load_or_exit
from reconcile.cli.live_options import (
    CA_BUNDLE,
    PROFILE,
    TARGET,
    TOKEN_FILE,
    cli_errors,
    fetch_from,
)
from reconcile.cli.validate import schema_text
from reconcile.desired.loader import has_desired_files
from reconcile.desired.model import Desired, Location
from reconcile.files import write_atomically
from reconcile.importer import ImportStatus, ListedUser, Starter, build_import, build_starter
from reconcile.live.model import Live
from reconcile.live.profiles import Profile
from reconcile.text import plural


@app.command("import")
def import_(
    path: Path = typer.Argument(
        Path("desired_state"),
        help="The desired-state folder: decides New versus Imported. A folder that does not "
        "exist or holds no YAML yet gets a complete starter desired state.",
    ),
    target: str | None = TARGET,
    profile: Profile = PROFILE,
    token_file: Path | None = TOKEN_FILE,
    ca_bundle: Path | None = CA_BUNDLE,  # read by open_client (see live_options)
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Where to write the YAML (default PATH/imported.yaml; '-' for stdout).",
    ),
    groups: bool = typer.Option(
        False, "--groups", help="Also write unmanaged live groups, with members and id pins."
    ),
    new_only: bool = typer.Option(
        False, "--new-only", help="List only the New users (not yet declared)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite the output file."),
) -> None:
    """List live users as New or Imported, and write the New ones as desired-state YAML."""
    if output is None and path.exists() and not path.is_dir():
        # Checked before reading the live state: the write into PATH/ could only fail.
        fail(
            f"{path} is a file, not a folder: give the desired-state folder to import into, "
            "or --output FILE for where the imported YAML goes"
        )
    if output is None and not has_desired_files(path):
        _import_starter(
            path, target=target, profile=profile, token_file=token_file, groups=groups, force=force
        )
        return
    out = output if output is not None else path / "imported.yaml"
    to_stdout = str(out) == "-"
    if not to_stdout and out.exists() and not force:
        fail(f"{out} exists; pass --force to overwrite it, or choose another --output")
    desired = load_or_exit(path) if has_desired_files(path) else Desired.build()
    if not to_stdout:
        desired = _without_file(desired, out)  # re-importing must not drop its own users
    live, label = _fetch(target=target, profile=profile, token_file=token_file)
    result = build_import(desired=desired, live=live, groups=groups)
    _print_listed(result.listed, label=label, new_only=new_only)

    if not result.new_users and not result.new_groups:
        stderr.print("nothing to import: every live user is declared", markup=False)
        return
    schema_ref = None if to_stdout else _schema_ref(out, path)
    text = result.to_yaml(live=live, schema_ref=schema_ref)
    if to_stdout:
        stdout.print(text, markup=False, highlight=False, end="")
    else:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(out, text)
        except OSError as exc:
            fail(f"cannot write {out} ({exc.strerror}); check --output")
    _note(
        f"wrote {plural(len(result.new_users), 'user')} and "
        f"{plural(len(result.new_groups), 'group')} to "
        f"{'stdout' if to_stdout else out}. Imported users are unbound until added to a "
        "group: the next plan deactivates them (R3) unless a present group lists them."
    )


def _fetch(*, target: str | None, profile: Profile, token_file: Path | None) -> tuple[Live, str]:
    with cli_errors():
        return asyncio.run(
            fetch_from(target=target, profile=Profile(profile), token_file=token_file)
        )


def _note(message: str) -> None:
    stderr.print(message, markup=False, highlight=False)


def _print_listed(listed: Iterable[ListedUser], *, label: str, new_only: bool) -> None:
    table = Table(title=f"Users in {label}")
    for column in ("status", "email", "display name", "active"):
        table.add_column(column)
    for item in listed:
        if new_only and item.status is not ImportStatus.NEW:
            continue
        table.add_row(
            item.status.value,
            item.user.email,
            item.user.display_name,
            "yes" if item.user.active else "no",
        )
    stderr.print(table)


def _import_starter(
    folder: Path,
    *,
    target: str | None,
    profile: Profile,
    token_file: Path | None,
    groups: bool,
    force: bool,
) -> None:
    """A folder without a desired state: write a complete one whose first plan is empty."""
    live, label = _fetch(target=target, profile=profile, token_file=token_file)
    starter = build_starter(live=live, groups=groups)
    _print_listed(starter.listed, label=label, new_only=False)
    files = starter.files(live=live)
    schema = folder / ".schema.json"
    if force or not schema.exists():
        files[".schema.json"] = schema_text()
    _write_all(folder, files)
    _report_starter(folder, starter, written=sorted(files))


def _write_all(folder: Path, files: dict[str, str]) -> None:
    """Write every file, or none: what was written is removed again after a failure."""
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            write_atomically(folder / name, text)
            written.append(folder / name)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        where = exc.filename or folder
        fail(f"cannot write {where} ({exc.strerror or exc}); nothing was written, check PATH")


def _report_starter(folder: Path, starter: Starter, *, written: list[str]) -> None:
    declared_groups = len(starter.groups or ())
    _note(
        f"wrote a starter desired state to {folder}: {', '.join(written)} "
        f"({plural(len(starter.users), 'user')}, {plural(declared_groups, 'group')}). "
        f"Everything is declared as it is live: `reconcile plan {folder}` changes nothing."
    )
    left_out = (*starter.left_out_users, *starter.left_out_groups)
    if left_out:
        _note(f"left undeclared ({len(left_out)}), listed in the files' comments too:")
        for item in left_out:
            _note(f"  - {item.line()}")
    _note(
        f"next: add your admin accounts (break-glass admins, the account that owns the API "
        f"token) to tenant.protected_users in {folder / 'tenant.yaml'}: no plan may then "
        "deactivate them (R23). Import adds nobody there by itself."
    )
    if starter.groups is None:
        _note(
            "groups were not imported: pass --groups to declare the live groups (pinned by "
            "id) and the active users they bind"
        )


def _schema_ref(out: Path, folder: Path) -> str | None:
    """The `$schema` path from `out` to the folder's committed schema, if `out` is inside."""
    out, folder = out.resolve(), folder.resolve()
    if not out.is_relative_to(folder):
        return None
    depth = len(out.relative_to(folder).parts) - 1
    return "../" * depth + ".schema.json"


def _without_file(desired: Desired, file: Path) -> Desired:
    """The desired state minus what `file` declares: the file is about to be replaced,
    so what it holds must be imported again, not counted as already declared."""
    target = file.resolve()

    def elsewhere(location: Location | None) -> bool:
        return location is None or Path(location.file).resolve() != target

    users = {k: u for k, u in desired.users.items() if elsewhere(u.location)}
    groups = {k: g for k, g in desired.groups.items() if elsewhere(g.location)}
    return replace(desired, users=MappingProxyType(users), groups=MappingProxyType(groups))
