"""The trail of requests: one `RequestRecord` per HTTP request, for audit and debug logs.

A record holds method, path, status, timing and attempt: never headers, never bodies, so
neither the token nor a user's data can reach the audit log or a log line through it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRecord:
    """One HTTP request as the audit log shows it (never headers, never bodies)."""

    method: str
    path: str  # relative to the base URL, with the query string
    sent_at: float  # wall-clock time (time.time()) the request left
    status: int | None  # None: no answer (timeout, refused or dropped connection)
    duration: float  # seconds
    attempt: int  # 1 for the first request of a call, 2+ for retries
    error: str | None = None  # short name of the transport failure, if any


RequestHook = Callable[[RequestRecord], None]

_recording: ContextVar[list[RequestRecord] | None] = ContextVar("_recording", default=None)


@contextmanager
def recording() -> Generator[list[RequestRecord], None, None]:
    """Collect the requests made inside the block by this task (and tasks it starts).

    Lets the applier attach each operation's requests to its audit event even when
    operations run concurrently: the list lives in a context variable, not on the client.
    """
    records: list[RequestRecord] = []
    token = _recording.set(records)
    try:
        yield records
    finally:
        _recording.reset(token)


def record(request: RequestRecord, *, hook: RequestHook | None) -> None:
    """Hand one finished request to the active `recording()` block and to the hook."""
    records = _recording.get()
    if records is not None:
        records.append(request)
    if hook is not None:
        hook(request)
