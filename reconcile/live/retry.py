"""Retry policy: which failures are retried, how long to wait, and when to give up.

Retried: 429 (after `Retry-After`), 502/503/504, timeouts and dropped connections.
Idempotent requests (GET, PATCH with replace/add/remove of values, DELETE) are simply
re-sent. A create (POST) is never re-sent blindly: when its outcome is unknown the client
first looks the resource up (R17), see `resources.create_then_settle`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter.

    `max_attempts` counts every request of one call (the first included); `total_time`
    (seconds) bounds the whole call including waits: a wait that would cross it is not
    started, the last error is raised instead.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    total_time: float = 300.0
    # Fraction of each delay drawn at random, so that concurrent clients do not retry in step.
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.total_time <= 0:
            raise ValueError("delays must be >= 0 and total_time > 0")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")

    def backoff(self, *, retry: int, rng: random.Random | None = None) -> float:
        """Delay before retry number `retry` (1 for the first retry)."""
        full = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        draw = rng.random() if rng is not None else random.random()
        return full * (1.0 - self.jitter) + full * self.jitter * draw


def parse_retry_after(value: str | None, *, date_header: str | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date.

    An HTTP date is measured against the answer's own `Date` header when present, so a
    skewed local clock does not shorten the window; otherwise against the local clock.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN -> no hint
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if date_header:
        try:
            server_now = parsedate_to_datetime(date_header)
        except (TypeError, ValueError):
            server_now = None
        if server_now is not None:
            now = server_now if server_now.tzinfo else server_now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
