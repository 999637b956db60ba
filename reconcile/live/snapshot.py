"""Live state to and from a JSON file: deterministic, versioned, without secrets.

`reconcile snapshot --out FILE` writes one; `plan`/`drift --live FILE` read it, so a pull
request from a fork can be planned without credentials. The file holds ids, e-mails,
names, active flags and memberships - never a token, never a URL's credentials or query -
sorted by id with a fixed key order, so the same state always gives the same bytes and
a diff between two snapshots shows exactly what changed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal, cast

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, with_config

# pydantic needs typing_extensions' TypedDict on Python 3.11.
from typing_extensions import TypedDict

from reconcile.files import write_atomically
from reconcile.live.errors import LiveStateError, SnapshotError
from reconcile.live.fetch import check_live
from reconcile.live.model import Live, LiveGroup, LiveUser
from reconcile.live.target import label_of

FORMAT: Final = "reconcile-live-snapshot"
VERSION: Final = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _User(_Strict):
    id: str = Field(min_length=1)
    email: str = Field(min_length=1)
    display_name: str
    active: bool


class _Group(_Strict):
    id: str = Field(min_length=1)
    name: str
    member_ids: list[str]


class _Header(BaseModel):
    model_config = ConfigDict(extra="allow")
    format: str | None = None
    version: int | None = None


class _Snapshot(_Strict):
    format: Literal["reconcile-live-snapshot"]
    version: Literal[1]
    target: str
    users: list[_User]
    groups: list[_Group]


# The same checks as the models above, as TypedDicts: validating plain dicts is about twice
# as fast as building a model per row, and a snapshot holds 100k users. They only say
# whether the file is valid; when it is not, the models find and word the problem.
_ROW = ConfigDict(extra="forbid", strict=True)
_Id = Annotated[str, Field(min_length=1)]


@with_config(_ROW)
class _UserRow(TypedDict):
    id: _Id
    email: _Id
    display_name: str
    active: bool


@with_config(_ROW)
class _GroupRow(TypedDict):
    id: _Id
    name: str
    member_ids: list[str]


@with_config(_ROW)
class _Rows(TypedDict):
    format: Literal["reconcile-live-snapshot"]
    version: Literal[1]
    target: str
    users: list[_UserRow]
    groups: list[_GroupRow]


_ROWS: TypeAdapter[_Rows] = TypeAdapter(_Rows)


@dataclass(frozen=True, slots=True)
class Snapshot:
    live: Live
    target: str  # the label of the service it was taken from


def safe_label(target_label: str) -> str:
    """A URL label reduced to scheme://host[:port]/path; other labels as they are."""
    try:
        url = httpx.URL(target_label)
    except httpx.InvalidURL:
        return target_label
    if url.scheme in {"http", "https"} and url.host:
        return label_of(url)
    return target_label


def render_snapshot(live: Live, *, target_label: str) -> str:
    """The file's exact text (sorted, fixed key order, trailing newline)."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "target": safe_label(target_label),
        "users": [
            {"id": u.id, "email": u.email, "display_name": u.display_name, "active": u.active}
            for u in sorted(live.users, key=lambda u: u.id)
        ],
        "groups": [
            {"id": g.id, "name": g.name, "member_ids": sorted(g.member_ids)}
            for g in sorted(live.groups, key=lambda g: g.id)
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_snapshot(live: Live, path: Path, *, target_label: str) -> None:
    """Write atomically: the file is either the old one or the complete new one."""
    text = render_snapshot(live, target_label=target_label)
    path = Path(path)
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise SnapshotError(
            f"{path}: cannot write the snapshot ({exc.strerror or exc}); check that the "
            "folder exists and is writable"
        ) from exc


def _redo(path: Path) -> str:
    return f"create it again with `reconcile snapshot --out {path}`"


def read_snapshot(path: Path) -> Snapshot:
    """The snapshot at `path`, strictly validated; SnapshotError says where and what.

    The cycle collector is paused by the command, not here (see gcpause.py)."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SnapshotError(f"{path}: no such file; {_redo(path)}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: cannot read the snapshot ({exc}); {_redo(path)}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); {_redo(path)}"
        ) from exc
    try:
        rows = _ROWS.validate_python(data)
    except ValidationError:
        rows = _checked(data, path)  # raises, worded by the models
    users = [
        LiveUser(
            id=sys.intern(u["id"]),
            email=u["email"],
            display_name=u["display_name"],
            active=u["active"],
        )
        for u in rows["users"]
    ]
    groups = [
        # Interned ids, as the fetch makes them (see wire.py).
        LiveGroup(
            id=g["id"], name=g["name"], member_ids=frozenset(map(sys.intern, g["member_ids"]))
        )
        for g in rows["groups"]
    ]
    for kind, ids in (("user", [u.id for u in users]), ("group", [g.id for g in groups])):
        seen: set[str] = set()
        for ident in ids:
            if ident in seen:
                raise SnapshotError(f"{path}: {kind} id {ident} appears twice; {_redo(path)}")
            seen.add(ident)
    try:
        live = check_live(users=users, groups=groups)
    except LiveStateError as exc:
        raise SnapshotError(f"{path}: {exc}; {_redo(path)}") from exc
    return Snapshot(live=live, target=rows["target"])


def _checked(data: Any, path: Path) -> _Rows:
    """The rows of a snapshot that the fast check refused: the header first, then the
    models, each problem raised as a SnapshotError that says where."""
    if not isinstance(data, dict):
        raise SnapshotError(f"{path}: a snapshot is a JSON object; {_redo(path)}")
    header = _Header.model_validate(data)
    if header.format != FORMAT:
        raise SnapshotError(
            f"{path}: not a reconcile live snapshot (format {header.format!r}); {_redo(path)}"
        )
    if header.version != VERSION:
        raise SnapshotError(
            f"{path}: snapshot version {header.version!r} is not supported (this reconcile "
            f"reads version {VERSION}); {_redo(path)} using this version"
        )
    try:
        parsed = _Snapshot.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(
            f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
            for i, p in enumerate(first["loc"])
        )
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise SnapshotError(f"{path}: {where}: {first['msg']}{more}; {_redo(path)}") from exc
    # Only reached if the models accept what the rows refused (they check the same).
    return cast(_Rows, parsed.model_dump())
