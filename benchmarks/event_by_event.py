"""The event-by-event strategy of directory connectors, as the baseline for run.py.

A connector handles one event at a time and keeps no picture of the service: for each
user it looks the user up (TeamViewer cannot filter by e-mail, so by displayName), then
creates or updates it; for each group it looks the group up by name, renames, creates or
deletes it, and sends one request per membership change. Everything is sequential, paced
to the service's rate limit, and a 429 waits out its Retry-After like any polite client.

To be generous to the baseline, a user its name lookup misses (renamed by hand, so a
create is refused with 409, or not to be created) is settled with one full listing, kept for
every later miss of the run, instead of a listing per miss.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconcile.desired.model import Desired

SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass(slots=True)
class EventStats:
    requests: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0  # 429 answers (each one re-sent after Retry-After)
    seconds: float = 0.0

    def count(self, kind: str) -> None:
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


class _Sequential:
    """One request at a time, at most `rate` per second, 429 honoured."""

    def __init__(self, http: httpx.AsyncClient, *, rate: float | None, stats: EventStats) -> None:
        self._http = http
        self._interval = 0.0 if rate is None else 1.0 / rate
        self._next = 0.0
        self.stats = stats

    async def send(
        self, kind: str, method: str, path: str, *, params: Any = None, body: Any = None
    ) -> httpx.Response:
        while True:
            now = time.monotonic()
            if now < self._next:
                await asyncio.sleep(self._next - now)
            self._next = max(now, self._next) + self._interval
            response = await self._http.request(
                method,
                path,
                params=params,
                content=None if body is None else json.dumps(body).encode(),
                headers={"Content-Type": SCIM_JSON} if body is not None else None,
            )
            self.stats.requests += 1
            self.stats.count(kind)
            if response.status_code == 429:
                self.stats.rate_limited += 1
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            return response


def _filter(value: str) -> str:
    return f"displayName eq {json.dumps(value)}"


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} "
            f"{response.text[:200]}"
        )
    return response.json() if response.content else None


async def run_event_by_event(
    desired: Desired, *, base_url: str, token: str, rate: float | None, page_size: int = 1000
) -> EventStats:
    """Drive the tenant to `desired` event by event; the requests and the time it took."""
    stats = EventStats()
    started = time.perf_counter()
    async with httpx.AsyncClient(
        base_url=base_url.rstrip("/") + "/",
        headers={"Authorization": f"Bearer {token}", "Accept": SCIM_JSON},
        timeout=httpx.Timeout(60.0),
        limits=httpx.Limits(max_connections=1),
    ) as http:
        client = _Sequential(http, rate=rate, stats=stats)
        ids = await _users(desired, client, page_size=page_size)
        await _groups(desired, client, ids)
    stats.seconds = time.perf_counter() - started
    return stats


async def _users(desired: Desired, client: _Sequential, *, page_size: int) -> dict[str, str]:
    bound = {m for g in desired.groups.values() if g.present for m in g.members}
    ids: dict[str, str] = {}  # e-mail key -> live id
    everyone: dict[str, dict[str, Any]] | None = None  # full listing, on the first 409
    for key, user in desired.users.items():
        name = user.effective_name
        active = key in bound and user.should_be_active
        found = _ok(
            await client.send("lookup user", "GET", "Users", params={"filter": _filter(name)})
        )
        live = next(
            (r for r in found["Resources"] if r["userName"].strip().casefold() == key), None
        )
        if live is None and key in bound and active:
            response = await client.send(
                "create user",
                "POST",
                "Users",
                body={"schemas": [USER_SCHEMA], "userName": user.email, "displayName": name},
            )
            if response.status_code != 409:
                ids[key] = _ok(response)["id"]
                continue
        if live is None:
            # Not found by name: renamed by hand, or not there at all. One full listing
            # for the whole run settles every such case.
            if everyone is None:
                everyone = await _list_all_users(client, page_size=page_size)
            live = everyone.get(key)
        if live is None:
            continue
        ids[key] = live["id"]
        ops: list[dict[str, Any]] = []
        if live["displayName"] != name:
            ops.append({"op": "replace", "path": "displayName", "value": name})
        if bool(live.get("active", True)) != active:
            ops.append({"op": "replace", "path": "active", "value": active})
        if ops:
            body = {"schemas": [PATCH_SCHEMA], "Operations": ops}
            _ok(await client.send("update user", "PATCH", f"Users/{live['id']}", body=body))
    return ids


async def _list_all_users(client: _Sequential, *, page_size: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    start = 1
    while True:
        page = _ok(
            await client.send(
                "list users", "GET", "Users", params={"startIndex": start, "count": page_size}
            )
        )
        for r in page["Resources"]:
            out[r["userName"].strip().casefold()] = r
        start += len(page["Resources"])
        if not page["Resources"] or start > page["totalResults"]:
            return out


async def _find_group(client: _Sequential, names: list[str]) -> tuple[dict[str, Any], str] | None:
    for name in names:
        found = _ok(
            await client.send("lookup group", "GET", "Groups", params={"filter": _filter(name)})
        )
        for r in found["Resources"]:
            if r["displayName"] == name:
                return r, name
    return None


async def _groups(desired: Desired, client: _Sequential, ids: dict[str, str]) -> None:
    for group in desired.groups.values():
        match = await _find_group(client, [group.name, *group.renamed_from])
        if not group.present:
            if match is not None:
                _ok(await client.send("delete group", "DELETE", f"Groups/{match[0]['id']}"))
            continue
        want = [ids[m] for m in group.members if m in ids]
        if match is None:
            if not want:
                continue  # an empty group is not created (R6)
            body: dict[str, Any] = {
                "schemas": [GROUP_SCHEMA],
                "displayName": group.name,
                "members": [],
            }
            live_id = _ok(await client.send("create group", "POST", "Groups", body=body))["id"]
            have: set[str] = set()
        else:
            live_id = match[0]["id"]
            have = {m["value"] for m in match[0].get("members") or []}
            if match[1] != group.name:
                body = {
                    "schemas": [PATCH_SCHEMA],
                    "Operations": [{"op": "replace", "path": "displayName", "value": group.name}],
                }
                _ok(await client.send("rename group", "PATCH", f"Groups/{live_id}", body=body))
        for member in want:
            if member not in have:
                body = {
                    "schemas": [PATCH_SCHEMA],
                    "Operations": [{"op": "add", "path": "members", "value": [{"value": member}]}],
                }
                _ok(await client.send("add member", "PATCH", f"Groups/{live_id}", body=body))
        keep = set(want)
        for member in sorted(have - keep):
            body = {
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "remove", "path": f'members[value eq "{member}"]'}],
            }
            _ok(await client.send("remove member", "PATCH", f"Groups/{live_id}", body=body))
