"""The audit log: append-only JSON lines, one event per operation attempt.

Event names follow JumpCloud's Directory Insights so that an admin who knows those
reports reads ours without a legend. Each line is flushed as soon as it is written:
a run that is killed leaves every completed line intact and valid JSON.
No secrets: events carry e-mails, ids, methods, paths and statuses, never headers.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from reconcile.state_dir import STATE_DIR

DEFAULT_AUDIT_LOG = STATE_DIR / "audit.jsonl"


class EventType(StrEnum):
    USER_CREATE = "user_create_provision"
    USER_UPDATE = "user_update_provision"
    USER_DEPROVISION = "user_deprovision"
    USER_LOOKUP = "user_lookup_provision"
    GROUP_CREATE = "group_create_provision"
    GROUP_UPDATE = "group_update_provision"
    GROUP_DELETE = "group_delete_provision"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    event_type: EventType
    success: bool
    resource: str  # the user's e-mail or the group's key
    live_id: str | None
    method: str
    path: str
    status: int | None  # None when no answer arrived
    duration_ms: float
    error: str | None = None
    # What the run learnt during the operation (a member limit the service showed with a
    # refusal, reconcile/live/member_limits.py); absent from the line when None.
    note: str | None = None


def new_run_id() -> str:
    return uuid.uuid4().hex


class AuditLog:
    """Append-only writer; use as a context manager."""

    def __init__(self, *, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        self._file: IO[str] | None = None

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "a": never truncate what earlier runs wrote.
        self._file = self.path.open("a", encoding="utf-8")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def write(self, event: AuditEvent) -> None:
        if self._file is None:
            raise RuntimeError("AuditLog.write outside its context manager")
        record = {
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "run_id": self.run_id,
            **asdict(event),
            "event_type": str(event.event_type),
            "duration_ms": round(event.duration_ms, 1),
        }
        if event.note is None:
            del record["note"]  # lines of operations keep the keys they always had
        # One write call per line so a kill cannot interleave half a record.
        self._file.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
        self._file.flush()
        if _FSYNC:
            os.fsync(self._file.fileno())


# fsync per line would cost a disk round trip per operation; flush is enough for a
# killed process (the OS keeps the page cache). Set RECONCILE_AUDIT_FSYNC=1 to survive
# a power loss too.
_FSYNC = os.environ.get("RECONCILE_AUDIT_FSYNC") == "1"
