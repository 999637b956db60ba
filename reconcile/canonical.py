"""The canonical serialization that state fingerprints hash (R21); it knows no model.

Canonical means: sorted by id / key, members sorted, no dependence on input order. The
models (live/model.py, desired/model.py) feed it their fields; `reconcile.fingerprint`
is the public way to compute a state's fingerprint.

The serialization joins strings with control-character separators rather than going
through JSON (which costs more per member id; see BENCHMARKS.md); whenever a value contains a
separator, that part falls back to JSON, so the encoding stays unambiguous.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

SEP = "\x1f"  # unit separator, between fields and between member ids
ROW = "\x1e"  # record separator, between users
NUL = "\x00"  # "unset": NUL can be neither written in YAML nor sent as a SCIM string

Record = tuple[list[object], str | bytes]  # (header, blob) of one user list or group


def joined(items: list[str]) -> str:
    """`items` joined by SEP, or JSON when an item contains SEP."""
    text = SEP.join(items)
    if text.count(SEP) != max(len(items) - 1, 0):
        return json.dumps(items, ensure_ascii=False)
    return text


def rows(records: Iterable[list[str]]) -> str:
    """Many small records as one string (fields by SEP, rows by ROW), else JSON."""
    materialized = list(records)
    text = ROW.join([SEP.join(row) for row in materialized])
    separators = sum(len(row) - 1 for row in materialized) + max(len(materialized) - 1, 0)
    if text.count(SEP) + text.count(ROW) != separators:
        return json.dumps(materialized, ensure_ascii=False)
    return text


def live_user_row(*, id: str, email: str, display_name: str, active: bool) -> str | None:
    """A live user's row, or None when a value holds a separator (the users are then
    serialized as JSON, like `rows` falls back to). Derived once, when the user is built."""
    row = SEP.join((id, email, display_name, "1" if active else "0"))
    return row if row.count(SEP) == 3 and ROW not in row else None


def live_members_blob(member_ids: Iterable[str]) -> bytes:
    """A live group's sorted member ids as they enter the fingerprint. Derived once, when
    the group is built: a fetch builds groups while it waits for other pages, so sorting a
    million member ids does not wait until the last page is in."""
    return joined(sorted(member_ids)).encode("utf-8")


def digest(document: list[object], records: list[Record]) -> str:
    """sha256 of one JSON document (with each record's header and the byte length of its
    blob), then of every blob in order."""
    blobs = [blob if isinstance(blob, bytes) else blob.encode("utf-8") for _, blob in records]
    headers = [[*header, len(data)] for (header, _), data in zip(records, blobs, strict=True)]
    hasher = hashlib.sha256()
    text = json.dumps([*document, headers], ensure_ascii=False, separators=(",", ":"))
    hasher.update(text.encode("utf-8"))
    for data in blobs:
        hasher.update(data)
    return hasher.hexdigest()
