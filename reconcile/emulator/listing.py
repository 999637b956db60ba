"""List answers: paging (`startIndex`/`count`), attribute projection, ListResponse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconcile.emulator.errors import invalid_value
from reconcile.emulator.wire import LIST_SCHEMA

ALWAYS_RETURNED = frozenset({"id", "schemas"})


@dataclass(frozen=True, slots=True)
class Page:
    """1-based `start`; `count` None = everything from start (TeamViewer's default)."""

    start: int = 1
    count: int | None = None

    @classmethod
    def parse(cls, *, start_index: str | int | None, count: str | int | None) -> Page:
        start = _as_int("startIndex", start_index)
        n = _as_int("count", count)
        # RFC 7644 3.4.2.4: startIndex < 1 means 1; a negative count means 0.
        return cls(
            start=max(1, start) if start is not None else 1, count=None if n is None else max(0, n)
        )

    def window(self, *, max_page_size: int) -> tuple[int, int]:
        """(offset, limit) with the page size capped."""
        limit = max_page_size if self.count is None else min(self.count, max_page_size)
        return self.start - 1, limit


def _as_int(name: str, value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise invalid_value(f"{name} must be an integer, got {value!r}") from exc


def split_attr_list(value: str | list[str] | None) -> list[str] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else value.split(",")
    out = [item.strip() for item in items if item.strip()]
    return out or None


def _short(name: str) -> str:
    # "urn:...:User:name.givenName" -> "name.givenname"; extension URNs keep their prefix.
    lower = name.lower()
    if lower.startswith("urn:ietf:params:scim:schemas:core:2.0:"):
        lower = lower.rsplit(":", 1)[1]
    return lower


def project(
    doc: dict[str, Any], *, attributes: list[str] | None, excluded: list[str] | None
) -> dict[str, Any]:
    """Apply `attributes` / `excludedAttributes` (RFC 7644 3.4.2.5) to one resource."""
    if attributes:
        wanted: dict[str, set[str] | None] = {}
        for name in map(_short, attributes):
            top, _, sub = name.partition(".")
            subs = wanted.setdefault(top, set()) if sub else None
            if sub and subs is not None:
                subs.add(sub)
            else:
                wanted[top] = None
        out: dict[str, Any] = {}
        for key, value in doc.items():
            lk = key.lower()
            if lk in ALWAYS_RETURNED:
                out[key] = value
            elif lk in wanted:
                subs = wanted[lk]
                out[key] = value if subs is None else _keep_subs(value, subs)
        return out
    if excluded:
        drop = {_short(n) for n in excluded}
        out = {}
        for key, value in doc.items():
            lk = key.lower()
            if lk in ALWAYS_RETURNED or lk not in drop:
                subs = {d.split(".", 1)[1] for d in drop if d.startswith(lk + ".")}
                out[key] = _drop_subs(value, subs) if subs else value
        return out
    return doc


def _keep_subs(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        return [_keep_subs(v, subs) for v in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() in subs}
    return value


def _drop_subs(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        return [_drop_subs(v, subs) for v in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() not in subs}
    return value


def list_response(
    resources: list[dict[str, Any]], *, total: int, start_index: int
) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "itemsPerPage": len(resources),
        "startIndex": start_index,
        "Resources": resources,
    }
