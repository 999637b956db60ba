"""A deliberately broken "SCIM service" on 127.0.0.1, one misbehaviour per mode.

`HostileService.mode` picks the answer for `/scim/v2/Users` and `/scim/v2/Groups`; every
request is recorded with its headers so tests can check what reached the server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from reconcile.emulator.server import serve_in_thread

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_JSON = "application/scim+json"


def user(n: int) -> dict[str, Any]:
    address = f"h{n}@example.test"
    return {
        "schemas": [USER_SCHEMA],
        "id": f"u{n}",
        "userName": address,
        "displayName": f"H {n}",
        "active": True,
        "emails": [{"value": address, "primary": True}],
    }


def listing(resources: list[dict[str, Any]], *, total: Any, start: int = 1) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class HostileService:
    origin: str
    mode: str = "ok"
    redirect_to: str = ""
    seen: list[Seen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.origin}/scim/v2"


async def _huge_chunks() -> AsyncIterator[bytes]:
    chunk = b" " * 2**20
    for _ in range(80):  # 80 MiB of whitespace, no Content-Length (chunked)
        yield chunk


def _answer(service: HostileService, request: Request) -> Response:
    start = int(request.query_params.get("startIndex", "1") or 1)
    endpoint = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    mode = service.mode
    if mode == "html_500":
        return Response(
            "<html><body><h1>500 Internal Server Error</h1></body></html>",
            500,
            media_type="text/html",
        )
    if mode == "html_400":
        return Response("<html><body>Bad gateway config</body></html>", 400, media_type="text/html")
    if mode == "html_200":
        return Response(
            "<!doctype html><html><body>Sign in</body></html>", 200, media_type="text/html"
        )
    if mode == "non_json":
        return Response('{"schemas": ["urn:ietf:params:scim', 200, media_type=SCIM_JSON)
    if mode == "markup_detail":
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "400",
            "detail": "bad [/] request [bold]here[/bold] [/red]",
        }
        return JSONResponse(body, 400, media_type=SCIM_JSON)
    if mode == "redirect":
        return RedirectResponse(service.redirect_to + request.url.path, 302)
    if mode == "huge_body":
        return StreamingResponse(_huge_chunks(), media_type=SCIM_JSON)
    if endpoint == "Groups" or mode == "ok":
        return JSONResponse(listing([], total=0), media_type=SCIM_JSON)
    if mode == "missing_field":
        broken = user(1)
        del broken["userName"]
        return JSONResponse(listing([broken], total=1), media_type=SCIM_JSON)
    if mode == "mistyped_field":
        broken = {**user(1), "active": {"yes": True}}
        return JSONResponse(listing([broken], total=1), media_type=SCIM_JSON)
    if mode == "mistyped_total":
        return JSONResponse(listing([user(1)], total="many"), media_type=SCIM_JSON)
    if mode == "total_too_small":
        return JSONResponse(listing([user(1), user(2), user(3)], total=1), media_type=SCIM_JSON)
    if mode == "total_too_large":
        page = [user(start), user(start + 1)] if start == 1 else []
        return JSONResponse(listing(page, total=7, start=start), media_type=SCIM_JSON)
    if mode == "endless":
        # Always a full page, and always "more to come".
        return JSONResponse(listing([user(start)], total=10**12, start=start), media_type=SCIM_JSON)
    if mode == "growing":
        return JSONResponse(
            listing([user(start)], total=start + 1, start=start), media_type=SCIM_JSON
        )
    raise AssertionError(f"unknown mode {mode}")


def make_app(service: HostileService) -> Starlette:
    async def handle(request: Request) -> Response:
        await request.body()
        service.seen.append(Seen(request.method, request.url.path, dict(request.headers)))
        if request.method == "POST" and service.mode == "ok":
            # A "created" answer that is no SCIM resource at all.
            return Response("<html>Created!</html>", 201, media_type="text/html")
        return _answer(service, request)

    return Starlette(
        routes=[Route("/{path:path}", handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]
    )


@contextmanager
def serve_hostile(*, host: str = "127.0.0.1") -> Iterator[HostileService]:
    service = HostileService(origin="")
    with serve_in_thread(make_app(service), host=host) as origin:
        service.origin = origin
        yield service
