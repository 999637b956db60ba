"""Load a desired-state folder (or one file) into an immutable, validated `Desired`.

Pipeline per file: size and encoding checks -> strict YAML reading (yaml_reader) ->
piecewise schema validation (schema, errors_map). Then across files: merge and the
cross-file rules (rules). Every problem of the run is collected; if any is an error,
`DesiredStateError` carries them all, sorted by file, line and column.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel, ValidationError

from reconcile.desired.diagnostics import DesiredStateError, Diagnostic, sort_diagnostics
from reconcile.desired.errors_map import describe, suggest, validation_diagnostics
from reconcile.desired.large_files import LargeFiles
from reconcile.desired.model import Desired, Location
from reconcile.desired.places import FilePlaces, MarkedPlaces
from reconcile.desired.rows import GroupRow, group_row, user_row
from reconcile.desired.rules import Collected, FileEntries, TenantEntry, build_desired, merge_users
from reconcile.desired.schema import FileSchema, TenantSchema, UserSchema
from reconcile.desired.yaml_reader import YamlMap, YamlSeq, read_yaml
from reconcile.identity import email_key

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class LoadResult:
    """A valid desired state, the warnings found on the way, and the files it came from."""

    desired: Desired
    warnings: tuple[Diagnostic, ...] = ()
    files: tuple[str, ...] = ()


def load_desired(path: Path, *, environ: Mapping[str, str] | None = None) -> LoadResult:
    """Load every `*.yaml`/`*.yml` under `path` (or the single file `path`).

    Raises DesiredStateError with every error found; returns the warnings otherwise.
    File names in diagnostics start with `path` as given (e.g. `desired_state/users/a.yaml`).
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    collected = Collected()
    files = _discover(Path(path), collected)
    texts = [_read_text(file_path, display, collected) for file_path, display in files]
    large = LargeFiles(texts)
    try:
        for index, ((_, display), text) in enumerate(zip(files, texts, strict=True)):
            if text is None:
                continue  # could not be read (reported)
            entries = large.entries(index, display, env)
            if entries is not None:
                logger.debug("%s: read by the fast reader", display)
                collected.files.append(entries)
                continue
            if large.offered(index):
                logger.debug("%s: read by the exact reader (the fast one left it alone)", display)
            _read_exact(text, display, env, collected)
        large.share_users(collected.files)
        users = merge_users(collected.files, collected.diagnostics)
        large.resolve(users)
    finally:
        large.close()
    # The cross-file rules run even after file errors, so one run reports everything.
    desired = build_desired(collected, users)
    errors = [d for d in collected.diagnostics if d.severity == "error"]
    if errors:
        raise DesiredStateError(errors)
    warnings = sort_diagnostics(d for d in collected.diagnostics if d.severity == "warning")
    return LoadResult(desired=desired, warnings=warnings, files=tuple(d for _, d in files))


def has_desired_files(folder: Path) -> bool:
    """Whether `folder` holds any file `load_desired` would read (same discovery rules)."""
    return folder.exists() and bool(_discover(folder, Collected()))


def _discover(path: Path, collected: Collected) -> list[tuple[Path, str]]:
    """(file, display name) pairs in sorted order; hidden files and folders are skipped."""
    shown = PurePath(os.path.normpath(path)) if str(path) else PurePath(".")
    try:
        if path.is_file():
            return [(path, str(path))]
        if not path.is_dir():
            collected.error(None, f"{path}: no such file or folder (give the desired-state folder)")
            return []
        found: list[tuple[tuple[str, ...], Path]] = []
        for folder, subfolders, names in os.walk(path, onerror=None, followlinks=False):
            subfolders[:] = [name for name in subfolders if not name.startswith(".")]
            relative = Path(folder).relative_to(path)
            for name in names:
                if name.endswith(YAML_SUFFIXES) and not name.startswith("."):
                    found.append(((*relative.parts, name), Path(folder, name)))
    except OSError as exc:
        collected.error(None, f"{path}: cannot be read ({exc.strerror or exc})")
        return []
    if not found:
        collected.error(None, f"{path}: no *.yaml or *.yml files found in this folder")
    found.sort()
    return [(file, str(shown.joinpath(*parts))) for parts, file in found]


def _read_text(path: Path, display: str, collected: Collected) -> str | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            collected.error(
                Location(display, 1, 1),
                f"file is {size / 1024 / 1024:.1f} MiB, over the 10 MiB limit per file: split "
                "it into several files (every *.yaml file in the folder is merged)",
            )
            return None
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        collected.error(Location(display, 1, 1), f"cannot be read ({exc.strerror or exc})")
        return None
    if len(data) > MAX_FILE_BYTES:  # it grew after stat
        collected.error(Location(display, 1, 1), "file is over the 10 MiB limit per file")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        head = data[: exc.start]
        line = head.count(b"\n") + 1
        column = len(head[head.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        collected.error(
            Location(display, line, column),
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save the file as UTF-8",
        )
        return None


def _read_exact(text: str, display: str, env: Mapping[str, str], collected: Collected) -> None:
    result = read_yaml(text, environ=env)
    lines = result.lines

    def locate(offset: int) -> Location:
        line, column = lines.position(offset)
        return Location(display, line, column)

    for problem in result.problems:
        collected.error(Location(display, problem.line, problem.column), problem.message)
    root = result.root
    if root is None:
        return  # an empty file, or one that could not be read (problems reported)
    if not isinstance(root, YamlMap):
        collected.error(
            Location(display, 1, 1),
            f"the file holds {describe(root)}; it must be a mapping with the keys "
            "tenant, users and/or groups",
        )
        return
    _collect(root, MarkedPlaces(display, root, lines), locate, collected)


def _validate(
    model: type[BaseModel],
    node: Any,
    *,
    prefix: str,
    locate: Any,
    collected: Collected,
) -> Any:
    try:
        return model.model_validate(node)
    except ValidationError as exc:
        for location, message in validation_diagnostics(
            exc, node=node, model=model, prefix=prefix, locate=locate
        ):
            collected.error(location, message)
        return None


def _collect(root: YamlMap, places: FilePlaces, locate: Any, collected: Collected) -> None:
    entries = FileEntries(places, [], [])
    collected.files.append(entries)
    sections = sorted(FileSchema.model_fields)
    for key in root:
        if key not in FileSchema.model_fields:
            collected.error(
                locate(root.key_marks[key]),
                f"unknown key '{key}'{suggest(str(key), sections)} "
                f"(valid keys: {', '.join(sections)})",
            )

    tenant = root.get("tenant")
    if tenant is not None:
        model = _validate(TenantSchema, tenant, prefix="tenant", locate=locate, collected=collected)
        if model is not None:
            for name in sorted(model.model_fields_set, key=list(TenantSchema.model_fields).index):
                mark = tenant.key_marks[name]
                collected.tenant.append(TenantEntry(name, getattr(model, name), locate(mark)))

    users = root.get("users")
    if users is not None:
        if not isinstance(users, YamlSeq):
            collected.error(
                locate(root.value_marks["users"]),
                f"'users' must be a list of users (- email: ...), not {describe(users)}",
            )
        else:
            for index, node in enumerate(users):
                user = _validate(
                    UserSchema, node, prefix=f"users[{index}]", locate=locate, collected=collected
                )
                if user is None:
                    email = node.get("email") if isinstance(node, dict) else None
                    if isinstance(email, str):
                        collected.invalid_user_keys.add(email_key(email))
                        mark = node.value_marks.get("email", node.mark)
                        collected.invalid_users.append((email_key(email), locate(mark)))
                    continue
                problem = user.name_problem()
                if problem:
                    collected.error(places.user(index), problem)
                entries.users.append(user_row(user, index))

    groups = root.get("groups")
    if groups is not None:
        if not isinstance(groups, YamlMap):
            collected.error(
                locate(root.value_marks["groups"]),
                f"'groups' must be a mapping of group keys to groups, not {describe(groups)}",
            )
        else:
            _collect_groups(groups, entries.groups, locate, collected)


def _collect_groups(
    groups: YamlMap, rows: list[GroupRow], locate: Any, collected: Collected
) -> None:
    for key in groups:
        checked = _validate(
            FileSchema, _single_group(groups, key), prefix="", locate=locate, collected=collected
        )
        if checked is None:
            continue
        rows.append(group_row(key, checked.groups[key]))


def _single_group(groups: YamlMap, key: Any) -> YamlMap:
    """{'groups': {key: group}} with the positions kept: validates the key and the group
    together, so errors carry the full path and position."""
    wrapper = YamlMap(groups.mark)
    inner = YamlMap(groups.mark)
    inner[key] = groups[key]
    inner.key_marks[key] = groups.key_marks[key]
    inner.value_marks[key] = groups.value_marks[key]
    wrapper["groups"] = inner
    wrapper.key_marks["groups"] = groups.mark
    wrapper.value_marks["groups"] = groups.mark
    return wrapper
