"""The request log: every SCIM request, with counts per method and normalised path.

Benchmarks and tests count requests with it (`GET /_emulator/requests`). Counts are
exact; the entry list keeps the most recent `max_entries`.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, deque
from typing import Any

_ID_SEGMENT = re.compile(r"^(/scim/v2/(?:Users|Groups))/(?!\.search$)[^/]+$")


def normalize_path(path: str) -> str:
    """/scim/v2/Users/u1000001 -> /scim/v2/Users/{id}."""
    m = _ID_SEGMENT.match(path)
    return f"{m.group(1)}/{{id}}" if m else path


class RequestLog:
    def __init__(self, *, max_entries: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=max_entries)
        self._counts: Counter[str] = Counter()
        self._methods: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._total = 0

    def record(self, *, method: str, path: str, status: int, dropped: bool, ms: float) -> None:
        norm = normalize_path(path)
        entry = {
            "time": time.time(),
            "method": method,
            "path": path,
            "normalized_path": norm,
            "status": status,
            "dropped": dropped,
            "ms": round(ms, 3),
        }
        with self._lock:
            self._entries.append(entry)
            self._counts[f"{method} {norm}"] += 1
            self._methods[method] += 1
            self._statuses[str(status)] += 1
            self._total += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts.clear()
            self._methods.clear()
            self._statuses.clear()
            self._total = 0

    def snapshot(self, *, limit: int | None = None) -> dict[str, Any]:
        with self._lock:
            entries = list(self._entries)
            if limit is not None:
                entries = entries[-limit:] if limit > 0 else []
            return {
                "total": self._total,
                "counts": dict(sorted(self._counts.items())),
                "by_method": dict(sorted(self._methods.items())),
                "by_status": dict(sorted(self._statuses.items())),
                "entries": entries,
            }
