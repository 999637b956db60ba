"""SQLite storage for the emulator: users, groups, memberships, foreign accounts.

One connection guarded by a re-entrant lock: SQLite serialises writers anyway, the
lock makes every read-check-write sequence of a handler atomic (`with store.locked()`),
and an in-memory database only exists on the connection that created it. File
databases use WAL so that a restart finds everything that was committed.

Ids are deterministic (`u1000001`, `g1000001`, ... in insertion order) so that a seed
gives the same ids every time; list order is insertion order.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconcile.identity import email_key

USER_ID_BASE = 1_000_000
GROUP_ID_BASE = 1_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    email_key TEXT NOT NULL UNIQUE,
    display_name TEXT,
    active INTEGER NOT NULL,
    doc TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS groups (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    external_id TEXT,
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS members (
    seq INTEGER PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    UNIQUE (group_id, user_id)
);
CREATE INDEX IF NOT EXISTS members_user ON members(user_id);
-- A page of groups reads its members from this index alone, already in order.
CREATE INDEX IF NOT EXISTS members_group ON members(group_id, seq, user_id);
CREATE TABLE IF NOT EXISTS foreign_accounts (email_key TEXT PRIMARY KEY, email TEXT NOT NULL);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class UserRow:
    seq: int
    id: str
    doc: dict[str, Any]
    created: str
    modified: str
    version: int = 1

    @property
    def email(self) -> str:
        return str(self.doc.get("userName") or "")


@dataclass(slots=True)
class GroupRow:
    seq: int
    id: str
    display_name: str
    external_id: str | None
    created: str
    modified: str
    version: int = 1
    members: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SeedUser:
    user_name: str
    display_name: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class SeedGroup:
    display_name: str
    members: tuple[str, ...] = ()  # userNames


class SeedError(ValueError):
    """A seed refers to something that does not exist or repeats an e-mail."""


class Store:
    def __init__(self, *, db_path: str | None, list_order: str = "creation") -> None:
        self.db_path = db_path
        # Listings are in creation order (`seq`), as TeamViewer's appear to be; "name" sorts
        # by display name instead (ties by creation), a stable order that new resources
        # can enter in the middle of.
        self._order = "seq" if list_order == "creation" else "display_name, seq"
        if db_path is not None:
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(
            db_path or ":memory:", check_same_thread=False, isolation_level=None
        )
        if db_path is not None:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.executescript(_SCHEMA)
        # id -> displayName of every user, for the `display` of group members: a page of
        # 1,000 groups names 100,000 members, and joining the users table for them took
        # most of the page's time. Dropped on every user write (inside the lock, so a
        # rolled-back write cannot leave it stale) and read again on the next use.
        self._names: dict[str, str | None] | None = None

    def display_names(self) -> Mapping[str, str | None]:
        """id -> displayName of every user. Read-only (typed as a Mapping): the mapping is
        replaced after a user write, never changed, so it can be read outside the lock.
        The dict itself, not a MappingProxyType: a page of 1,000 groups looks up 100,000
        names, and a proxy's `get` took 80 ms of it."""
        with self.lock:
            if self._names is None:
                self._names = dict(self.conn.execute("SELECT id, display_name FROM users"))
            return self._names

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the lock and run one transaction: all or nothing."""
        with self.lock:
            if self.conn.in_transaction:  # nested: the outer block commits
                yield
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    # -- ids ---------------------------------------------------------------------------
    def _next_ids(self, name: str, base: int, n: int, prefix: str) -> list[str]:
        row = self.conn.execute("SELECT value FROM counters WHERE name=?", (name,)).fetchone()
        start = int(row[0]) if row else base
        self.conn.execute(
            "INSERT INTO counters(name, value) VALUES(?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value=excluded.value",
            (name, start + n),
        )
        return [f"{prefix}{start + i + 1}" for i in range(n)]

    # -- users -------------------------------------------------------------------------
    @staticmethod
    def _user(row: Sequence[Any]) -> UserRow:
        return UserRow(
            seq=row[0],
            id=row[1],
            doc=json.loads(row[2]),
            created=row[3],
            modified=row[4],
            version=row[5],
        )

    _USER_COLS = "seq, id, doc, created, modified, version"

    def get_user(self, user_id: str) -> UserRow | None:
        with self.lock:
            row = self.conn.execute(
                f"SELECT {self._USER_COLS} FROM users WHERE id=?", (user_id,)
            ).fetchone()
        return self._user(row) if row else None

    def count_users(self) -> int:
        with self.lock:
            return int(self.conn.execute("SELECT count(*) FROM users").fetchone()[0])

    def list_users(self, *, offset: int = 0, limit: int | None = None) -> list[UserRow]:
        with self.lock:
            rows = self.conn.execute(
                f"SELECT {self._USER_COLS} FROM users ORDER BY {self._order} LIMIT ? OFFSET ?",
                (-1 if limit is None else limit, offset),
            ).fetchall()
        return [self._user(r) for r in rows]

    def email_owner(self, key: str) -> str | None:
        """'foreign' for a foreign account, the user id for a user, else None."""
        with self.lock:
            if self.conn.execute(
                "SELECT 1 FROM foreign_accounts WHERE email_key=?", (key,)
            ).fetchone():
                return "foreign"
            row = self.conn.execute("SELECT id FROM users WHERE email_key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    def insert_user(self, doc: dict[str, Any]) -> UserRow:
        with self.locked():
            self._names = None
            (user_id,) = self._next_ids("user", USER_ID_BASE, 1, "u")
            ts = now()
            cur = self.conn.execute(
                "INSERT INTO users(id, email_key, display_name, active, doc, created, modified)"
                " VALUES(?,?,?,?,?,?,?)",
                (
                    user_id,
                    email_key(str(doc["userName"])),
                    doc.get("displayName"),
                    int(bool(doc.get("active", True))),
                    json.dumps(doc),
                    ts,
                    ts,
                ),
            )
            return UserRow(
                seq=int(cur.lastrowid or 0), id=user_id, doc=doc, created=ts, modified=ts
            )

    def update_user(self, row: UserRow) -> UserRow:
        with self.locked():
            self._names = None
            row.modified = now()
            row.version += 1
            self.conn.execute(
                "UPDATE users SET email_key=?, display_name=?, active=?, doc=?, modified=?,"
                " version=? WHERE id=?",
                (
                    email_key(row.email),
                    row.doc.get("displayName"),
                    int(bool(row.doc.get("active", True))),
                    json.dumps(row.doc),
                    row.modified,
                    row.version,
                    row.id,
                ),
            )
        return row

    def delete_user(self, user_id: str) -> bool:
        with self.locked():
            self._names = None
            cur = self.conn.execute("DELETE FROM users WHERE id=?", (user_id,))
        return cur.rowcount > 0

    def existing_user_ids(self, ids: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(ids))
        found: set[str] = set()
        with self.lock:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                found.update(
                    r[0]
                    for r in self.conn.execute(f"SELECT id FROM users WHERE id IN ({marks})", chunk)
                )
        return found

    def user_names(self, ids: Iterable[str]) -> dict[str, str | None]:
        """id -> displayName, for the `display` of group members."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, str | None] = {}
        with self.lock:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                out.update(
                    (r[0], r[1])
                    for r in self.conn.execute(
                        f"SELECT id, display_name FROM users WHERE id IN ({marks})", chunk
                    )
                )
        return out

    # -- groups ------------------------------------------------------------------------
    _GROUP_COLS = "seq, id, display_name, external_id, created, modified, version"

    @staticmethod
    def _group(row: Sequence[Any]) -> GroupRow:
        return GroupRow(
            seq=row[0],
            id=row[1],
            display_name=row[2],
            external_id=row[3],
            created=row[4],
            modified=row[5],
            version=row[6],
        )

    def _attach_members(self, groups: list[GroupRow]) -> None:
        """Load the members, in the order they joined."""
        by_id = {g.id: g for g in groups}
        ids = list(by_id)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for gid, uid in self.conn.execute(
                f"SELECT group_id, user_id FROM members WHERE group_id IN ({marks})"
                " ORDER BY group_id, seq",
                chunk,
            ):
                by_id[gid].members.append(uid)

    def get_group(self, group_id: str, *, with_members: bool = True) -> GroupRow | None:
        with self.lock:
            row = self.conn.execute(
                f"SELECT {self._GROUP_COLS} FROM groups WHERE id=?", (group_id,)
            ).fetchone()
            if not row:
                return None
            group = self._group(row)
            if with_members:
                self._attach_members([group])
        return group

    def count_groups(self) -> int:
        with self.lock:
            return int(self.conn.execute("SELECT count(*) FROM groups").fetchone()[0])

    def list_groups(
        self,
        *,
        offset: int = 0,
        limit: int | None = None,
        with_members: bool = True,
    ) -> list[GroupRow]:
        """A window of groups in the store's list order."""
        with self.lock:
            groups = [
                self._group(r)
                for r in self.conn.execute(
                    f"SELECT {self._GROUP_COLS} FROM groups ORDER BY {self._order}"
                    " LIMIT ? OFFSET ?",
                    (-1 if limit is None else limit, offset),
                )
            ]
            if with_members:
                self._attach_members(groups)
        return groups

    def insert_group(
        self, *, display_name: str, external_id: str | None, members: Sequence[str]
    ) -> GroupRow:
        with self.locked():
            (group_id,) = self._next_ids("group", GROUP_ID_BASE, 1, "g")
            ts = now()
            cur = self.conn.execute(
                "INSERT INTO groups(id, display_name, external_id, created, modified)"
                " VALUES(?,?,?,?,?)",
                (group_id, display_name, external_id, ts, ts),
            )
            unique = list(dict.fromkeys(members))
            self.conn.executemany(
                "INSERT INTO members(group_id, user_id) VALUES(?,?)",
                [(group_id, uid) for uid in unique],
            )
        return GroupRow(
            seq=int(cur.lastrowid or 0),
            id=group_id,
            display_name=display_name,
            external_id=external_id,
            created=ts,
            modified=ts,
            members=unique,
        )

    def update_group(self, group: GroupRow, *, old_members: Sequence[str]) -> GroupRow:
        """Write name/externalId and the member difference (order of survivors kept)."""
        with self.locked():
            group.modified = now()
            group.version += 1
            self.conn.execute(
                "UPDATE groups SET display_name=?, external_id=?, modified=?, version=? WHERE id=?",
                (group.display_name, group.external_id, group.modified, group.version, group.id),
            )
            new = list(dict.fromkeys(group.members))
            new_set, old_set = set(new), set(old_members)
            removed = [(group.id, uid) for uid in old_members if uid not in new_set]
            added = [(group.id, uid) for uid in new if uid not in old_set]
            self.conn.executemany("DELETE FROM members WHERE group_id=? AND user_id=?", removed)
            self.conn.executemany("INSERT INTO members(group_id, user_id) VALUES(?,?)", added)
            group.members = [uid for uid in old_members if uid in new_set] + [
                uid for uid in new if uid not in old_set
            ]
        return group

    def delete_group(self, group_id: str) -> bool:
        with self.locked():
            cur = self.conn.execute("DELETE FROM groups WHERE id=?", (group_id,))
        return cur.rowcount > 0

    # -- control -----------------------------------------------------------------------
    def reset(self) -> None:
        with self.locked():
            self._names = None
            for table in ("members", "groups", "users", "foreign_accounts", "counters"):
                self.conn.execute(f"DELETE FROM {table}")

    def seed(
        self,
        *,
        users: Sequence[SeedUser],
        groups: Sequence[SeedGroup],
        foreign_accounts: Sequence[str],
    ) -> dict[str, int]:
        """Add everything in one transaction (executemany: 100k users in seconds)."""
        with self.locked():
            self._names = None
            ids = self._next_ids("user", USER_ID_BASE, len(users), "u")
            ts = now()
            rows = []
            by_email: dict[str, str] = {}
            for uid, user in zip(ids, users, strict=True):
                key = email_key(user.user_name)
                if key in by_email:
                    raise SeedError(f"seed: the e-mail {user.user_name} appears twice in users")
                by_email[key] = uid
                doc = {
                    "userName": user.user_name,
                    "displayName": user.display_name,
                    "active": user.active,
                }
                rows.append(
                    (uid, key, user.display_name, int(user.active), json.dumps(doc), ts, ts)
                )
            try:
                self.conn.executemany(
                    "INSERT INTO users(id, email_key, display_name, active, doc, created,"
                    " modified) VALUES(?,?,?,?,?,?,?)",
                    rows,
                )
                self.conn.executemany(
                    "INSERT INTO foreign_accounts(email_key, email) VALUES(?,?)",
                    [(email_key(e), e) for e in dict.fromkeys(foreign_accounts)],
                )
            except sqlite3.IntegrityError as exc:
                raise SeedError(
                    "seed: an e-mail is already registered (as a user or a foreign account);"
                    " reset first or remove the duplicate"
                ) from exc
            clash = self.conn.execute(
                "SELECT f.email FROM foreign_accounts f JOIN users u ON u.email_key=f.email_key"
                " LIMIT 1"
            ).fetchone()
            if clash:
                raise SeedError(f"seed: {clash[0]} is both a user and a foreign account")
            if len(by_email) < len(users) or groups:
                # members may name users seeded earlier, so resolve against the table.
                by_email = {
                    str(k): str(v) for k, v in self.conn.execute("SELECT email_key, id FROM users")
                }
            gids = self._next_ids("group", GROUP_ID_BASE, len(groups), "g")
            self.conn.executemany(
                "INSERT INTO groups(id, display_name, created, modified) VALUES(?,?,?,?)",
                [(gid, g.display_name, ts, ts) for gid, g in zip(gids, groups, strict=True)],
            )
            member_rows: list[tuple[str, str]] = []
            for gid, group in zip(gids, groups, strict=True):
                seen: set[str] = set()
                for name in group.members:
                    member_id = by_email.get(email_key(name))
                    if member_id is None:
                        raise SeedError(
                            f"seed: group {group.display_name!r} lists {name}, which is not a"
                            " seeded user; add it to users"
                        )
                    if member_id not in seen:
                        seen.add(member_id)
                        member_rows.append((gid, member_id))
            self.conn.executemany("INSERT INTO members(group_id, user_id) VALUES(?,?)", member_rows)
        return {
            "users": len(users),
            "groups": len(groups),
            "members": len(member_rows),
            "foreign_accounts": len(set(foreign_accounts)),
        }

    def dump(self) -> dict[str, Any]:
        """Everything, create-only attributes included (test data: see docs)."""
        with self.lock:
            users = [_dump_user(u) for u in self.list_users()]
            groups = [
                {
                    "id": g.id,
                    "displayName": g.display_name,
                    "externalId": g.external_id,
                    "members": g.members,
                }
                for g in self.list_groups()
            ]
            foreign = [r[0] for r in self.conn.execute("SELECT email FROM foreign_accounts")]
        return {"users": users, "groups": groups, "foreign_accounts": foreign}


def _dump_user(user: UserRow) -> dict[str, Any]:
    # Passwords are secrets even in test data: the dump says whether one was set, never
    # what it is.
    doc = {k: v for k, v in user.doc.items() if k != "password"}
    return {
        "id": user.id,
        **doc,
        "hasPassword": bool(user.doc.get("password")),
        "meta": {"created": user.created, "lastModified": user.modified},
    }
