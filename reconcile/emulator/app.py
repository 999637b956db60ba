"""The emulator's ASGI app: SCIM under /scim/v2, the control API under /_emulator.

Request flow for SCIM (`ScimEndpoint`): log -> latency -> auth (401/403) -> rate limit
(429 + Retry-After) -> injected 5xx (503, nothing done) -> handler (in a worker thread,
SQLite) -> slow page -> answer, or for a write "commit then drop": the change is stored,
the response head is sent and the connection is closed before the body, so the client
sees a broken response and cannot know the outcome.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from reconcile.emulator import discovery
from reconcile.emulator.config import WRITE, ConfigError, EmulatorConfig
from reconcile.emulator.errors import ScimError, invalid_syntax, not_found
from reconcile.emulator.faults import FaultState, retry_after_header
from reconcile.emulator.filters import AttrPath, matches, parse_filter
from reconcile.emulator.groups import Groups
from reconcile.emulator.listing import Page, list_response, project, split_attr_list
from reconcile.emulator.reqlog import RequestLog
from reconcile.emulator.seed import SeedFileError, parse_seed
from reconcile.emulator.store import SeedError, Store
from reconcile.emulator.users import Users
from reconcile.emulator.wire import SCIM_MEDIA_TYPE, PatchOpIn, SearchRequestIn, json_bytes

SCIM_PREFIX = "/scim/v2"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(slots=True)
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] | None = None
    is_list: bool = False

    def response(self) -> Response:
        if self.body is None:
            return Response(status_code=self.status, headers=self.headers)
        return Response(
            json_bytes(self.body),
            status_code=self.status,
            media_type=SCIM_MEDIA_TYPE,
            headers=self.headers,
        )


class Emulator:
    """State shared by the SCIM endpoint and the control API of one app."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.store = Store(db_path=config.db_path, list_order=config.list_order)
        self.faults = FaultState(config.faults)
        self.log = RequestLog()
        self.users = Users(
            store=self.store,
            rfc_strict=config.rfc_strict,
            max_page_size=config.max_page_size,
            max_patch_operations=config.max_patch_operations,
        )
        self.groups = Groups(
            store=self.store,
            rfc_strict=config.rfc_strict,
            max_page_size=config.max_page_size,
            max_patch_operations=config.max_patch_operations,
            max_create_members=config.max_create_members,
        )

    def scopes(self, authorization: str | None) -> frozenset[str] | None:
        """The scopes of a valid bearer token, or None."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        token = token.strip()
        found: frozenset[str] | None = None
        for known, scopes in self.config.tokens.items():
            # compare every token in constant time: no timing oracle on the secret
            if hmac.compare_digest(known.encode(), token.encode()):
                found = frozenset(scopes)
        return found


def _unauthorized() -> ScimError:
    return ScimError(
        401,
        "missing or invalid bearer token: send Authorization: Bearer <script token>",
        headers={"WWW-Authenticate": 'Bearer realm="scim"'},
    )


def _forbidden() -> ScimError:
    return ScimError(403, "this token is read-only; a token with write scope is required")


def _body(raw: bytes) -> Any:
    if not raw:
        raise invalid_syntax("the request body is empty; send a JSON object")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise invalid_syntax(f"the request body is not valid JSON ({exc})") from exc


def _dict_body(raw: bytes) -> dict[str, Any]:
    data = _body(raw)
    if not isinstance(data, dict):
        raise invalid_syntax("the request body must be a JSON object")
    return data


def _patch_body(raw: bytes) -> PatchOpIn:
    try:
        return PatchOpIn.model_validate(_dict_body(raw))
    except ValidationError as exc:
        raise invalid_syntax(f"not a valid PatchOp body: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def _with_base(doc: dict[str, Any], base_url: str) -> dict[str, Any]:
    meta = doc.get("meta")
    if isinstance(meta, dict) and str(meta.get("location", "")).startswith("/"):
        doc = {**doc, "meta": {**meta, "location": base_url + meta["location"]}}
    return doc


class ScimEndpoint:
    """The raw ASGI app mounted at /scim/v2 (raw so that it can drop connections)."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        request = Request(scope, receive)
        method = request.method
        path = SCIM_PREFIX + scope.get("path", "")[len(scope.get("root_path", "")) :]
        path = path.rstrip("/") or path
        emu = self.emu
        dropped = False
        status = 500
        try:
            delay = emu.faults.delay_seconds()
            if delay > 0:
                await asyncio.sleep(delay)
            working = time.perf_counter()
            answer = await self._answer(request, method, path)
            rendered: Response | None = None
            if answer.is_list:
                slow = emu.faults.slow_page_seconds()
                if slow > 0:
                    # A slow page takes `slow` to produce, its own work (reading and
                    # rendering) included, as at a real service whose servers work in
                    # parallel: this one process only adds the part of its work that
                    # does not fit into that time.
                    rendered = answer.response()
                    await asyncio.sleep(max(0.0, slow - (time.perf_counter() - working)))
            status = answer.status
            is_write = method in WRITE_METHODS and not path.endswith("/.search")
            if is_write and answer.status < 400 and emu.faults.roll_drop():
                dropped = True
                body = b"" if answer.body is None else json_bytes(answer.body)
                # The write is committed; announce a body and close before sending it.
                await send(
                    {
                        "type": "http.response.start",
                        "status": answer.status,
                        "headers": [
                            (b"content-type", SCIM_MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body) + 1).encode()),
                        ],
                    }
                )
                return
            await (rendered or answer.response())(scope, receive, send)
        except ClientDisconnect:
            # The client went away (killed, timed out) before its request body arrived:
            # nothing was done and there is nobody to answer; not a server error.
            status = 499
        finally:
            emu.log.record(
                method=method,
                path=path,
                status=status,
                dropped=dropped,
                ms=(time.perf_counter() - started) * 1000,
            )

    async def _answer(self, request: Request, method: str, path: str) -> Answer:
        emu = self.emu
        try:
            scopes = emu.scopes(request.headers.get("authorization"))
            if scopes is None:
                raise _unauthorized()
            is_write = method in WRITE_METHODS and not path.endswith("/.search")
            if is_write and WRITE not in scopes:
                raise _forbidden()
            wait = emu.faults.take_token()
            if wait is not None:
                raise ScimError(
                    429,
                    "too many requests: slow down and retry after the Retry-After delay",
                    headers={"Retry-After": retry_after_header(wait)},
                )
            if emu.faults.roll_error():
                raise ScimError(503, "injected fault: service temporarily unavailable; retry")
            raw = await request.body() if method in ("POST", "PUT", "PATCH") else b""
            base = f"{request.url.scheme}://{request.url.netloc}{SCIM_PREFIX}"
            return await run_in_threadpool(
                self._dispatch, method, path[len(SCIM_PREFIX) :], request, raw, base
            )
        except ScimError as exc:
            return Answer(exc.status, exc.body(), exc.headers or None)

    def _dispatch(self, method: str, sub: str, request: Request, raw: bytes, base: str) -> Answer:
        parts = [p for p in sub.split("/") if p]
        emu = self.emu
        strict = emu.config.rfc_strict
        q = request.query_params
        attributes = split_attr_list(q.get("attributes"))
        excluded = split_attr_list(q.get("excludedAttributes"))

        def allow(*methods: str) -> None:
            if method not in methods:
                raise ScimError(
                    405,
                    f"{method} is not supported on {SCIM_PREFIX}{sub}",
                    headers={"Allow": ", ".join(methods)},
                )

        if not parts:
            raise not_found(f"nothing at {SCIM_PREFIX}{sub}; try /Users or /Groups")
        head = parts[0]
        if head == "ServiceProviderConfig" and len(parts) == 1:
            allow("GET")
            return Answer(
                200,
                _with_base(
                    discovery.service_provider_config(max_page_size=emu.config.max_page_size),
                    base,
                ),
            )
        if head in ("ResourceTypes", "Schemas") and len(parts) <= 2:
            allow("GET")
            items = (
                discovery.resource_types()
                if head == "ResourceTypes"
                else discovery.schemas(rfc_strict=strict)
            )
            items = [_with_base(i, base) for i in items]
            if len(parts) == 2:
                for item in items:
                    if item["id"] == parts[1]:
                        return Answer(200, item)
                raise not_found(f"no {head[:-1]} {parts[1]!r}")
            return Answer(
                200,
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                    "totalResults": len(items),
                    "itemsPerPage": len(items),
                    "startIndex": 1,
                    "Resources": items,
                },
            )
        if head == ".search" and len(parts) == 1:
            allow("POST")
            return self._search_all(raw, base)
        if head not in ("Users", "Groups") or len(parts) > 2:
            raise not_found(f"nothing at {SCIM_PREFIX}{sub}")
        service: Users | Groups = emu.users if head == "Users" else emu.groups

        def render(row: Any) -> dict[str, Any]:
            if isinstance(service, Users):
                doc = service.render(row, base)
            else:
                doc = service.render_one(row, base)
            return project(doc, attributes=attributes, excluded=excluded)

        if len(parts) == 1:
            allow("GET", "POST")
            if method == "GET":
                page = Page.parse(start_index=q.get("startIndex"), count=q.get("count"))
                body = service.list_page(
                    base_url=base,
                    page=page,
                    filter_text=q.get("filter"),
                    attributes=attributes,
                    excluded=excluded,
                )
                return Answer(200, body, is_list=True)
            row = service.create(_dict_body(raw))
            return Answer(201, render(row), {"Location": f"{base}/{head}/{row.id}"})
        ident = parts[1]
        if ident == ".search":
            allow("POST")
            search = _search_body(raw)
            body = service.list_page(
                base_url=base,
                page=Page.parse(start_index=search.start_index, count=search.count),
                filter_text=search.filter,
                attributes=search.attributes,
                excluded=search.excluded_attributes,
            )
            return Answer(200, body, is_list=True)
        allow("GET", "PUT", "PATCH", "DELETE")
        if method == "GET":
            return Answer(200, render(service.get(ident)))
        if method == "PUT":
            return Answer(200, render(service.replace(ident, _dict_body(raw))))
        if method == "PATCH":
            return Answer(200, render(service.patch(ident, _patch_body(raw))))
        service.delete(ident)
        return Answer(204)

    def _search_all(self, raw: bytes, base: str) -> Answer:
        """POST /.search over Users and Groups (RFC 7644 3.4.3); strict mode only."""
        emu = self.emu
        if not emu.config.rfc_strict:
            raise ScimError(
                501, "searching several resource types at once is not supported; use /Users"
            )
        search = _search_body(raw)
        node = parse_filter(search.filter) if search.filter else None
        store = emu.store
        with store.lock:
            docs = [emu.users.render(u, base) for u in store.list_users()]
            groups = store.list_groups()
            names = store.user_names(uid for g in groups for uid in g.members)
        docs += [emu.groups.render(g, base, names=names) for g in groups]
        if node is not None:
            docs = [d for d in docs if matches(node, d, case_exact=_search_case_exact)]
        page = Page.parse(start_index=search.start_index, count=search.count)
        offset, limit = page.window(max_page_size=emu.config.max_page_size)
        body = list_response(
            [
                project(d, attributes=search.attributes, excluded=search.excluded_attributes)
                for d in docs[offset : offset + limit]
            ],
            total=len(docs),
            start_index=page.start,
        )
        return Answer(200, body, is_list=True)


def _search_case_exact(path: AttrPath) -> bool:
    return path.name in ("id", "externalid")


def _search_body(raw: bytes) -> SearchRequestIn:
    try:
        return SearchRequestIn.model_validate(_dict_body(raw))
    except ValidationError as exc:
        raise invalid_syntax(f"not a valid SearchRequest: {_first_error(exc)}") from exc


# -- control API -------------------------------------------------------------------------


def _control(emu: Emulator) -> list[Route]:
    def guard(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def wrapped(request: Request) -> Response:
            try:
                scopes = emu.scopes(request.headers.get("authorization"))
                if scopes is None:
                    raise _unauthorized()
                if WRITE not in scopes:
                    raise ScimError(403, "the control API needs a token with write scope")
                result = await handler(request)
                return result if isinstance(result, Response) else JSONResponse(result)
            except ScimError as exc:
                return exc.response()

        return wrapped

    async def reset(request: Request) -> dict[str, Any]:
        await run_in_threadpool(emu.store.reset)
        emu.log.clear()
        return {"reset": True}

    async def seed(request: Request) -> dict[str, Any]:
        data = _body(await request.body())
        try:
            parsed = parse_seed(data, source="seed body")
            return await run_in_threadpool(
                lambda: emu.store.seed(
                    users=parsed.store_users(),
                    groups=parsed.store_groups(),
                    foreign_accounts=parsed.foreign_accounts,
                )
            )
        except (SeedFileError, SeedError) as exc:
            raise ScimError(400, str(exc), scim_type="invalidValue") from exc

    async def state(request: Request) -> dict[str, Any]:
        return await run_in_threadpool(emu.store.dump)

    async def requests(request: Request) -> dict[str, Any]:
        if request.method == "DELETE":
            emu.log.clear()
            return {"cleared": True}
        limit = request.query_params.get("limit")
        try:
            n = int(limit) if limit is not None else None
        except ValueError as exc:
            raise ScimError(400, "limit must be an integer") from exc
        return emu.log.snapshot(limit=n)

    async def faults(request: Request) -> dict[str, Any]:
        if request.method == "PUT":
            data = _body(await request.body())
            if not isinstance(data, dict):
                raise invalid_syntax("send a JSON object of fault settings to change")
            try:
                return emu.faults.update(**data).as_dict()
            except (ConfigError, TypeError) as exc:
                raise ScimError(400, str(exc), scim_type="invalidValue") from exc
        return emu.faults.faults.as_dict()

    async def health(request: Request) -> Response:
        # Not behind guard(), which turns a handler's dict into JSON: answer JSON here.
        return JSONResponse({"ok": True})

    return [
        Route("/reset", guard(reset), methods=["POST"]),
        Route("/seed", guard(seed), methods=["POST"]),
        Route("/state", guard(state), methods=["GET"]),
        Route("/requests", guard(requests), methods=["GET", "DELETE"]),
        Route("/faults", guard(faults), methods=["GET", "PUT"]),
        Route("/health", health, methods=["GET"]),
    ]


def create_app(config: EmulatorConfig) -> Starlette:
    """A new emulator app; `app.state.emulator` holds its `Emulator` (store, faults, log)."""
    emu = Emulator(config)

    async def not_scim(request: Request) -> Response:
        return ScimError(
            404, f"nothing at {request.url.path}; SCIM lives under {SCIM_PREFIX}"
        ).response()

    app = Starlette(
        routes=[
            Mount(SCIM_PREFIX, app=ScimEndpoint(emu)),
            Mount("/_emulator", routes=_control(emu)),
            Route("/{path:path}", not_scim, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ],
    )
    app.state.emulator = emu
    return app
