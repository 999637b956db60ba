"""A tiny in-memory SCIM service behind httpx.MockTransport, for the client's unit tests.

It records every request (with the monotonic time it arrived) and can be scripted with
faults: `service.script.append(fn)` runs `fn(request)` for the next request; `fn` may
return a Response (answered instead), raise an httpx error, or return None (no fault).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Fault = Callable[[httpx.Request], httpx.Response | None]


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    at: float
    authorization: str | None
    content_type: str | None
    accept: str | None


@dataclass
class FakeScim:
    page_cap: int = 1000
    echo_start_index: int | None = 0  # TeamViewer answers startIndex 0
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    foreign: set[str] = field(default_factory=set)  # e-mails owned outside the company
    seen: list[Seen] = field(default_factory=list)
    script: list[Fault] = field(default_factory=list)
    # Called after a write is applied: may raise to drop the answer (committed, no reply).
    after_write: list[Fault] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def add_user(self, email: str, name: str, *, active: bool = True) -> str:
        uid = f"u{next(self._ids):05d}"
        self.users[uid] = {"id": uid, "userName": email, "displayName": name, "active": active}
        return uid

    def add_group(self, name: str, members: list[str]) -> str:
        gid = f"g{next(self._ids):05d}"
        self.groups[gid] = {"id": gid, "displayName": name, "members": list(members)}
        return gid

    def requests(self, method: str | None = None, prefix: str = "") -> list[Seen]:
        return [
            s
            for s in self.seen
            if (method is None or s.method == method) and s.path.startswith(prefix)
        ]

    # --- handler ---------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/scim/v2")
        body = json.loads(request.content) if request.content else None
        self.seen.append(
            Seen(
                method=request.method,
                path=path,
                params=dict(request.url.params),
                body=body,
                at=time.monotonic(),
                authorization=request.headers.get("Authorization"),
                content_type=request.headers.get("Content-Type"),
                accept=request.headers.get("Accept"),
            )
        )
        if self.script:
            fault = self.script.pop(0)
            answer = fault(request)
            if answer is not None:
                return answer
        response = self._serve(request.method, path, dict(request.url.params), body)
        if request.method != "GET" and self.after_write:
            self.after_write.pop(0)(request)
        return response

    def _serve(self, method: str, path: str, params: dict[str, str], body: Any) -> httpx.Response:
        parts = [p for p in path.split("/") if p]
        kind = parts[0]
        store = self.users if kind == "Users" else self.groups
        if method == "GET" and len(parts) == 1:
            return self._list(store, params)
        if method == "POST" and kind == "Users":
            email = body["userName"]
            taken = {u["userName"].casefold() for u in self.users.values()}
            if email.casefold() in taken or email.casefold() in self.foreign:
                return error(409, "uniqueness", "userName already in use")
            uid = self.add_user(email, body["displayName"], active=body["active"])
            return httpx.Response(201, json=self.users[uid])
        if method == "POST" and kind == "Groups":
            gid = self.add_group(body["displayName"], [m["value"] for m in body["members"]])
            return httpx.Response(201, json=render(self.groups[gid]))
        ident = parts[1]
        if ident not in store:
            return error(404, None, f"no {kind[:-1].lower()} {ident}")
        if method == "PATCH":
            for op in body["Operations"]:
                self._patch(store[ident], op)
            return httpx.Response(200, json=render(store[ident]))
        if method == "DELETE":
            del store[ident]
            return httpx.Response(204)
        return error(405, None, "not supported")

    def _patch(self, resource: dict[str, Any], op: dict[str, Any]) -> None:
        path = str(op.get("path"))
        if op["op"] == "replace":
            resource[path] = op["value"]
        elif op["op"] == "add":
            for m in op["value"]:
                if m["value"] not in resource["members"]:
                    resource["members"].append(m["value"])
        else:
            match = re.fullmatch(r'members\[value eq "([^"]+)"\]', path)
            assert match, path
            resource["members"].remove(match.group(1))

    def _list(self, store: dict[str, dict[str, Any]], params: dict[str, str]) -> httpx.Response:
        items = sorted(store.values(), key=lambda r: r["id"])
        flt = params.get("filter")
        if flt is not None:
            match = re.fullmatch(r'(\w+) eq "(.*)"', flt)
            if not match or match.group(1) == "userName":
                return error(400, "invalidFilter", "unsupported filter")
            items = [r for r in items if r.get(match.group(1)) == match.group(2)]
        start = max(1, int(params.get("startIndex", "1")))
        count = min(int(params.get("count", str(self.page_cap))), self.page_cap)
        page = [render(r) for r in items[start - 1 : start - 1 + count]]
        answer: dict[str, Any] = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": len(items),
            "itemsPerPage": len(page),
            "Resources": page,
        }
        if self.echo_start_index is not None:
            answer["startIndex"] = self.echo_start_index
        return httpx.Response(200, json=answer)


def render(resource: dict[str, Any]) -> dict[str, Any]:
    """The SCIM shape: group members as [{"value": id}] (stored as plain ids)."""
    if "members" not in resource:
        return dict(resource)
    return {**resource, "members": [{"value": m} for m in resource["members"]]}


def error(status: int, scim_type: str | None, detail: str) -> httpx.Response:
    body: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": str(status),
        "detail": detail,
    }
    if scim_type:
        body["scimType"] = scim_type
    return httpx.Response(status, json=body)


def answer(status: int, **headers: str) -> Fault:
    """A fault that answers `status` (SCIM error body) with the given headers."""

    def fault(request: httpx.Request) -> httpx.Response:
        response = error(status, None, "injected")
        response.headers.update({k.replace("_", "-"): v for k, v in headers.items()})
        return response

    return fault


def drop(request: httpx.Request) -> httpx.Response | None:
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")


def timeout(request: httpx.Request) -> httpx.Response | None:
    raise httpx.ReadTimeout("timed out")


def refuse(request: httpx.Request) -> httpx.Response | None:
    raise httpx.ConnectError("connection refused")


def passthrough(request: httpx.Request) -> httpx.Response | None:
    return None
