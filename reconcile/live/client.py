"""The async SCIM client: one place where requests are shaped, limited, retried and typed.

    async with ScimClient(base_url=..., token=..., profile=Profile.TEAMVIEWER) as client:
        live = await fetch_live(client)
        with client.recording() as requests:          # per-operation audit trail
            user_id = await client.create_user(email=..., display_name=..., active=True)

Every request goes through `_call`: the rate limiter (token bucket + shared Retry-After
pause), a bounded number in flight, and the retry policy. Low-level failures become the
typed errors of `reconcile.live.errors` at this boundary. The token lives in a `Secret`
and is added by an httpx auth flow, so it is never part of a repr, a message or a record;
redirects are never followed, so it never travels to another host.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Generator, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from reconcile.identity import email_key
from reconcile.live.discovery import STANDARD_FACTS, TEAMVIEWER_FACTS, ServiceFacts
from reconcile.live.errors import (
    BadRequest,
    ConfigurationError,
    Conflict,
    ForeignAccountConflict,
    LiveError,
    RateLimited,
    ScimError,
    TransportError,
    UnexpectedResponseError,
    UnknownOutcomeError,
    scim_error_for,
)
from reconcile.live.gate import PriorityGate, Slot
from reconcile.live.listing import list_all
from reconcile.live.model import LiveGroup, LiveUser
from reconcile.live.network import NetworkSettings, transport_for
from reconcile.live.profiles import Profile, split_name
from reconcile.live.ratelimit import RateLimiter
from reconcile.live.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from reconcile.live.secret import Secret
from reconcile.live.target import check_base_url, label_of
from reconcile.live.wire import (
    SSO_SCHEMA,
    USER_SCHEMA,
    CreatedGroup,
    CreatedResource,
    Email,
    ErrorBody,
    GroupCreate,
    GroupResource,
    ListResponse,
    MemberRef,
    Name,
    PatchOperation,
    PatchRequest,
    SsoExtension,
    UserCreate,
    UserResource,
    dump,
)

SCIM_MEDIA_TYPE: Final = "application/scim+json"
DEFAULT_PAGE_SIZE: Final = 1000

_M = TypeVar("_M", bound=BaseModel)
_T = TypeVar("_T")

# Connection never established: the request did not reach the service, re-sending is safe
# even for a create. Every other transport failure may have happened after the service
# acted on the request.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

# An answer larger than this is refused instead of read: a page of 1,000 users is well
# under 1 MiB and a group with 100,000 members about 6 MiB, while a huge or endless body
# (a hostile service, a misrouted download) would otherwise be held in memory whole, and
# JSON parsing multiplies that several times, until the process is killed without a word.
MAX_RESPONSE_BYTES: Final = 64 * 2**20
# Headers that describe the bytes on the wire, not the decoded body we keep.
_WIRE_HEADERS: Final = frozenset({"content-encoding", "content-length", "transfer-encoding"})

# The HTTP client's trace events (httpcore) that mark a request busy on the wire, and
# those after which it only waits: for its answer, or (closed) for its next attempt.
# A transport that sends no trace events (or HTTP/2, which the client does not enable)
# leaves the request busy until it is answered.
_BUSY_EVENTS: Final = frozenset(
    {
        "connection.connect_tcp.started",  # a new or re-opened connection (a retry)
        "connection.start_tls.started",
        "http11.send_request_headers.started",
        "http11.receive_response_headers.complete",
    }
)
_WAITING_EVENTS: Final = frozenset(
    {"http11.send_request_body.complete", "http11.response_closed.complete"}
)


def _wire_trace(slot: Slot) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    async def trace(event: str, info: dict[str, Any]) -> None:
        if event in _BUSY_EVENTS:
            slot.busy()
        elif event in _WAITING_EVENTS or event.endswith(".failed"):
            slot.waiting()

    return trace


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


@dataclass(frozen=True, slots=True, kw_only=True)
class PatchLimits:
    """How much one group request may carry; past it the changes are split (R18).

    `max_operations` counts every member value as one operation (an `add` of 50 ids
    costs 50), as TeamViewer's limit is documented and emulated; a rename costs 1. A
    created group carries at most that many initial members, the rest follow in PATCHes.
    """

    max_operations: int = 1000

    def __post_init__(self) -> None:
        if self.max_operations < 1:
            raise ValueError("max_operations must be at least 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    connect: float = 10.0
    read: float = 60.0


class _OutcomeUnknown(Exception):
    """Internal: a non-idempotent request may or may not have been applied."""

    def __init__(self, error: LiveError) -> None:
        super().__init__(str(error))
        self.error = error


class _BearerAuth(httpx.Auth):
    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


def _check_token(token: str | Secret) -> Secret:
    secret = token if isinstance(token, Secret) else Secret(token)
    value = secret.reveal()
    if not value:
        raise ConfigurationError(
            "the token is empty; set TEAMVIEWER_TOKEN or pass --token-file with a script token"
        )
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ConfigurationError(
            "the token contains whitespace or control characters; "
            "copy it again from the TeamViewer Management Console"
        )
    return secret


def _filter_literal(value: str) -> str:
    """A SCIM filter string literal (RFC 7644 3.4.2.2 uses JSON string syntax)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class _ReceivedPage:
    """A list page as received: decoded (JSON, then the list's shape) only when asked,
    so that a listing can first let the other requests in flight go on (see gate.py)."""

    client: ScimClient
    path: str
    response: httpx.Response

    def decode(self) -> ListResponse:
        return self.client._parse(ListResponse, "GET", self.path, self.response)


class ScimClient:
    """An async SCIM 2.0 client for one service; use it as an async context manager."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | Secret,
        profile: Profile = Profile.TEAMVIEWER,
        transport: httpx.AsyncBaseTransport | None = None,
        network: NetworkSettings = NetworkSettings(),
        timeouts: Timeouts = Timeouts(),
        max_concurrency: int = 8,
        rate_limit_rps: float | None = None,
        rate_limit_burst: int = 1,
        retry: RetryPolicy = RetryPolicy(),
        page_size: int = DEFAULT_PAGE_SIZE,
        patch_limits: PatchLimits = PatchLimits(),
        on_request: RequestHook | None = None,
        allow_http: bool = False,
        label: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ConfigurationError("max_concurrency must be at least 1")
        if page_size < 1:
            raise ConfigurationError("page_size must be at least 1")
        self._url = check_base_url(base_url, allow_http=allow_http)
        self._token = _check_token(token)
        self.profile = Profile(profile)
        # How the target is named in messages and snapshots (never with credentials).
        self.label = label or label_of(self._url)
        self.page_size = page_size
        # What the service supports: known for teamviewer, read by discovery.discover()
        # for rfc7644 (until then: a standard service without the SSO extension).
        self.facts = TEAMVIEWER_FACTS if self.profile is Profile.TEAMVIEWER else STANDARD_FACTS
        self.patch_limits = patch_limits
        self.retry = retry
        self._transport = transport
        self._network = network
        self._timeouts = timeouts
        self._max_concurrency = max_concurrency
        self._slots = asyncio.Semaphore(max_concurrency)
        # rate_limit_burst: the service's own bucket (1 by default: every request spaced).
        # The client saves up at most half of it while idle (see RateLimiter): the other
        # half absorbs requests that arrive bunched, so a catch-up never meets a 429.
        self._limiter = RateLimiter(rate=rate_limit_rps, burst=max(1, rate_limit_burst // 2))
        self._on_request = on_request
        self._rng = rng or random.Random()
        self._http: httpx.AsyncClient | None = None
        # Set once a request spent its whole retry budget unable to connect: the service
        # is gone, so every later request fails at once instead of spending its own budget
        # (a 10,000-operation apply would otherwise take hours to report the outage).
        self._unreachable: TransportError | None = None
        # Request forms the service answered 501 Not Implemented to (see profiles.py):
        # from then on the other form is sent at once.
        self._not_implemented: set[str] = set()

    def __repr__(self) -> str:
        return f"ScimClient(target={self.label!r}, profile={self.profile.value!r})"

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    def use_facts(self, facts: ServiceFacts) -> None:
        """Adapt to what the service said it supports (see discovery.py)."""
        self.facts = facts
        if facts.max_results is not None:
            self.page_size = min(self.page_size, facts.max_results)

    async def get_document(self, path: str) -> Any:
        """The JSON of one GET (discovery documents)."""
        response = await self._call("GET", path)
        assert response is not None  # only deletes settle without an answer
        return self._json("GET", path, response)

    # --- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        base = str(self._url).rstrip("/") + "/"
        limits = httpx.Limits(
            max_connections=self._max_concurrency,
            max_keepalive_connections=self._max_concurrency,
        )
        # A given transport (in-process, tests) is used as it is; otherwise the proxy and
        # the trusted CAs come from the environment and --ca-bundle (see network.py).
        transport = self._transport or transport_for(
            self._url, settings=self._network, limits=limits
        )
        self._http = httpx.AsyncClient(
            base_url=base,
            auth=_BearerAuth(self._token),
            transport=transport,
            timeout=httpx.Timeout(
                connect=self._timeouts.connect,
                read=self._timeouts.read,
                write=self._timeouts.read,
                pool=None,  # the semaphore bounds what is in flight
            ),
            limits=limits,
            headers={"Accept": SCIM_MEDIA_TYPE},
            follow_redirects=False,  # a redirect must never carry the token elsewhere
            trust_env=False,  # never .netrc; the proxy and CAs are read in network.py
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # --- audit -----------------------------------------------------------------------

    @contextmanager
    def recording(self) -> Generator[list[RequestRecord], None, None]:
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

    def _record(self, record: RequestRecord) -> None:
        records = _recording.get()
        if records is not None:
            records.append(record)
        if self._on_request is not None:
            self._on_request(record)

    # --- the one request path ----------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        body: BaseModel | None = None,
        idempotent: bool = True,
        absent_is_done: bool = False,
        slot: Slot | None = None,
    ) -> httpx.Response | None:
        """Send one logical request with limits and retries; the answer (None: settled).

        `idempotent=False` (a create) turns an unknown outcome into `_OutcomeUnknown` for
        the caller to settle instead of re-sending. `absent_is_done` (a delete) treats a 404
        that follows an unknown outcome as the earlier attempt having succeeded. `slot`
        (a listing's place in its gate) is told when the request is busy on the wire and
        when it waits for its answer (see gate.py).
        """
        if self._http is None:
            raise RuntimeError("ScimClient must be used as `async with ScimClient(...)`")
        content = None if body is None else json.dumps(dump(body)).encode()
        headers = {} if body is None else {"Content-Type": SCIM_MEDIA_TYPE}
        shown = path + ("?" + str(httpx.QueryParams(params)) if params else "")
        extensions = {} if slot is None else {"trace": _wire_trace(slot)}
        started = time.monotonic()
        maybe_applied = False
        attempt = 0
        while True:
            attempt += 1
            if self._unreachable is not None:
                raise TransportError(
                    f"{method} {shown} on {self.label}: not sent, the service stopped "
                    f"accepting connections earlier in this run ({self._unreachable}); run "
                    "again when it is back"
                )
            # Queued for the rate limit or a connection: not on the wire (see gate.py).
            await self._limiter.acquire(on_wait=None if slot is None else slot.waiting)
            if slot is not None and self._slots.locked():
                slot.waiting()
            sent_at = time.time()
            t0 = time.perf_counter()
            try:
                async with self._slots:
                    if slot is not None:
                        slot.busy()  # about to connect and send
                    response = await self._send(
                        self._http.build_request(
                            method,
                            path.lstrip("/"),
                            params=params,
                            content=content,
                            headers=headers,
                            extensions=extensions,
                        ),
                        shown=shown,
                    )
            except httpx.TransportError as exc:
                elapsed = time.perf_counter() - t0
                self._record(
                    RequestRecord(
                        method=method,
                        path=shown,
                        sent_at=sent_at,
                        status=None,
                        duration=elapsed,
                        attempt=attempt,
                        error=type(exc).__name__,
                    )
                )
                lost = self._transport_error(method, shown, exc, attempt)
                sent = not isinstance(exc, _NOT_SENT)
                if sent and not idempotent:
                    raise _OutcomeUnknown(lost) from exc
                maybe_applied = maybe_applied or sent
                delay = self._next_delay(attempt=attempt, started=started, hint=None)
                if delay is None:
                    if isinstance(exc, httpx.ConnectError):
                        self._unreachable = lost
                    raise lost from exc
                await asyncio.sleep(delay)
                continue
            except httpx.HTTPError as exc:
                # An answer arrived but could not be read (e.g. a corrupt compressed body
                # from a proxy): the service may have acted, so a create is settled by a
                # look-up (R17) and nothing else is repeated blindly.
                self._record(
                    RequestRecord(
                        method=method,
                        path=shown,
                        sent_at=sent_at,
                        status=None,
                        duration=time.perf_counter() - t0,
                        attempt=attempt,
                        error=type(exc).__name__,
                    )
                )
                unreadable = UnexpectedResponseError(
                    f"{method} {shown} on {self.label}: the answer could not be read "
                    f"({type(exc).__name__}); check for a proxy altering responses, then run "
                    "plan again"
                )
                if not idempotent:
                    raise _OutcomeUnknown(unreadable) from exc
                raise unreadable from exc

            self._record(
                RequestRecord(
                    method=method,
                    path=shown,
                    sent_at=sent_at,
                    status=response.status_code,
                    duration=time.perf_counter() - t0,
                    attempt=attempt,
                )
            )
            status = response.status_code
            if 200 <= status < 300:
                self._limiter.on_success()
                return response
            if 300 <= status < 400:
                raise self._redirect_error(method, shown, response)
            error = self._scim_error(method, shown, response)
            if status == 429:
                # Not processed: safe to re-send even a create, once the window is over.
                self._limiter.on_rate_limited()
                hint = error.retry_after if isinstance(error, RateLimited) else None
                delay = self._next_delay(attempt=attempt, started=started, hint=hint)
                if delay is None:
                    raise error
                self._limiter.pause(delay)  # every request of this client waits it out
                continue
            if status in RETRYABLE_STATUSES:
                if not idempotent:
                    raise _OutcomeUnknown(error)
                maybe_applied = True
                delay = self._next_delay(attempt=attempt, started=started, hint=None)
                if delay is None:
                    raise error
                await asyncio.sleep(delay)
                continue
            if status == 404 and absent_is_done and maybe_applied:
                return None
            raise error

    async def _send(self, request: httpx.Request, *, shown: str) -> httpx.Response:
        """One exchange, its body read in full unless it is over MAX_RESPONSE_BYTES."""
        assert self._http is not None
        response = await self._http.send(request, stream=True)
        chunks: list[bytes] = []
        try:
            declared = response.headers.get("Content-Length", "")
            too_large = declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES
            received = 0
            if not too_large:
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                    if received > MAX_RESPONSE_BYTES:
                        too_large = True
                        break
                    chunks.append(chunk)
        finally:
            await response.aclose()
        if too_large:
            raise UnexpectedResponseError(
                f"{request.method} {shown} on {self.label} answered more than "
                f"{MAX_RESPONSE_BYTES // 2**20} MiB ({response.status_code}); not read: check "
                "that --target is the SCIM base URL of the right service"
            )
        return httpx.Response(
            response.status_code,
            headers=[
                (k, v) for k, v in response.headers.multi_items() if k.lower() not in _WIRE_HEADERS
            ],
            content=b"".join(chunks),
            request=request,
            extensions=response.extensions,
        )

    def _next_delay(self, *, attempt: int, started: float, hint: float | None) -> float | None:
        """The wait before the next attempt, or None when the retry budget is spent."""
        if attempt >= self.retry.max_attempts:
            return None
        delay = self.retry.backoff(retry=attempt, rng=self._rng)
        if hint is not None:
            delay = max(delay, hint)
        if time.monotonic() - started + delay > self.retry.total_time:
            return None
        return delay

    def _transport_error(
        self, method: str, path: str, exc: httpx.TransportError, attempt: int
    ) -> TransportError:
        if isinstance(exc, httpx.TimeoutException):
            kind = "timed out"
        elif isinstance(exc, httpx.ConnectError):
            kind = "could not connect"
        elif isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            kind = "the connection dropped before the answer"
        else:
            kind = f"transport failure ({type(exc).__name__})"
        return TransportError(
            f"{method} {path} on {self.label}: {kind} (attempt {attempt}); check the network "
            "and --target, or retry later"
        )

    def _redirect_error(
        self, method: str, path: str, response: httpx.Response
    ) -> UnexpectedResponseError:
        location = response.headers.get("Location", "")
        try:
            where = label_of(httpx.URL(location)) if location else "an unnamed location"
        except httpx.InvalidURL:
            where = "an invalid location"
        return UnexpectedResponseError(
            f"{method} {path} on {self.label} answered a redirect ({response.status_code}) "
            f"to {where}; redirects are not followed so the token stays with the target: "
            "set --target to the final SCIM base URL"
        )

    def _scim_error(self, method: str, path: str, response: httpx.Response) -> ScimError:
        scim_type = detail = None
        try:
            parsed = ErrorBody.model_validate(response.json())
        except (ValueError, ValidationError):
            detail = response.reason_phrase or None
        else:
            scim_type, detail = parsed.scim_type, parsed.detail
        retry_after = None
        if response.status_code == 429:
            retry_after = parse_retry_after(
                response.headers.get("Retry-After"), date_header=response.headers.get("Date")
            )
        return scim_error_for(
            status=response.status_code,
            method=method,
            path=path,
            scim_type=scim_type,
            detail=detail,
            retry_after=retry_after,
        )

    def _json(self, method: str, path: str, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise UnexpectedResponseError(
                f"{method} {path} on {self.label} answered {response.status_code} without "
                "JSON; check that --target is the SCIM base URL (ending in /scim/v2)"
            ) from exc

    def _parse(self, model: type[_M], method: str, path: str, data: Any) -> _M:
        """Validate JSON (or an httpx answer's JSON) into a wire model, or a typed error."""
        if isinstance(data, httpx.Response):
            data = self._json(method, path, data)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(root)"
            raise UnexpectedResponseError(
                f"{method} {path} on {self.label}: the answer is not a valid "
                f"{model.__name__} ({where}: {first['msg']}); is --profile right?"
            ) from exc

    # --- reading -----------------------------------------------------------------------

    async def list_page(
        self, *, endpoint: str, start_index: int, count: int, filter: str | None = None
    ) -> ListResponse:
        """One page of `/Users` or `/Groups` (start_index is 1-based)."""
        received = await self._receive_page(
            endpoint=endpoint, start_index=start_index, count=count, filter=filter, slot=None
        )
        return received.decode()

    async def _receive_page(
        self,
        *,
        endpoint: str,
        start_index: int,
        count: int,
        filter: str | None,
        slot: Slot | None,
    ) -> _ReceivedPage:
        params: dict[str, str | int] = {"startIndex": start_index, "count": count}
        if filter is not None:
            params["filter"] = filter
        path = f"/{endpoint}"
        response = await self._call("GET", path, params=params, slot=slot)
        assert response is not None  # only deletes settle without an answer
        return _ReceivedPage(client=self, path=path, response=response)

    async def _list_all(
        self,
        *,
        endpoint: str,
        what: str,
        filter: str | None,
        speculate: int,
        gate: PriorityGate | None,
        parse_one: Callable[[dict[str, Any]], _T],
    ) -> list[_T]:
        return await list_all(
            fetch_page=lambda start, count, slot: self._receive_page(
                endpoint=endpoint, start_index=start, count=count, filter=filter, slot=slot
            ),
            parse=lambda items: [parse_one(item) for item in items],
            what=what,
            page_size=self.page_size,
            speculate=speculate,
            # A gate of its own when not shared: a page then counts as busy only once it
            # holds one of the client's slots, not while it queues for one.
            gate=gate or PriorityGate(self._max_concurrency),
        )

    async def list_users(
        self, *, filter: str | None = None, speculate: int = 0, gate: PriorityGate | None = None
    ) -> list[LiveUser]:
        """All users (every page), or those matching a filter. `speculate`: pages after
        the first to request together with it (see listing.speculative_pages); `gate`:
        shared with another listing read at the same time (see gate.py)."""
        return await self._list_all(
            endpoint="Users",
            what="user",
            filter=filter,
            speculate=speculate,
            gate=gate,
            parse_one=lambda item: self._parse(UserResource, "GET", "/Users", item).to_live(),
        )

    async def list_groups(
        self, *, filter: str | None = None, speculate: int = 0, gate: PriorityGate | None = None
    ) -> list[LiveGroup]:
        """All groups with their members (every page), or those matching a filter."""
        return await self._list_all(
            endpoint="Groups",
            what="group",
            filter=filter,
            speculate=speculate,
            gate=gate,
            parse_one=lambda item: self._parse(GroupResource, "GET", "/Groups", item).to_live(),
        )

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at most (listing pages and writes alike)."""
        return self._max_concurrency

    async def find_user(
        self, *, email: str, display_name: str | None = None, exhaustive: bool = True
    ) -> LiveUser | None:
        """The user inside the company with this e-mail (R1), or None.

        `rfc7644` filters on userName. `teamviewer` cannot filter by e-mail: it filters on
        the display name and falls back to the full list, so the answer is always certain.
        `exhaustive=False` trusts a display-name filter that the service answered: right
        after our own create whose answer was lost, the user can only exist with the exact
        name we sent. That spares a full listing per lost answer, which under a burst of
        faults (while other creates change the listing) would itself fail.
        """
        key = email_key(email)
        if not self.facts.filter_supported:
            query: str | None = None
        elif self.profile.traits.email_filter:
            query = f"userName eq {_filter_literal(email.strip())}"
        elif display_name:
            query = f"displayName eq {_filter_literal(display_name)}"
        else:
            query = None
        if query is not None:
            try:
                candidates = await self.list_users(filter=query)
            except BadRequest:
                candidates = None  # the filter is not supported: the full list decides
            for user in candidates or ():
                if user.key == key:
                    return user
            if candidates is not None and not exhaustive:
                return None
        for user in await self.list_users():
            if user.key == key:
                return user
        return None

    async def find_groups_by_name(self, *, name: str) -> list[LiveGroup]:
        if not self.facts.filter_supported:
            return [g for g in await self.list_groups() if g.name == name]
        try:
            found = await self.list_groups(filter=f"displayName eq {_filter_literal(name)}")
        except BadRequest:
            found = await self.list_groups()
        return [g for g in found if g.name == name]

    # --- writing: users ----------------------------------------------------------------

    def _user_create_body(
        self,
        *,
        email: str,
        display_name: str,
        active: bool,
        language: str | None,
        sso_customer_id: str | None,
    ) -> UserCreate:
        schemas = [USER_SCHEMA]
        sso = None
        if sso_customer_id and self.facts.sso_extension:  # else the run says so once
            schemas.append(SSO_SCHEMA)
            sso = SsoExtension(sso_customer_id=sso_customer_id)
        with_emails = self.profile.traits.create_with_emails
        given, family = split_name(display_name)
        return UserCreate(
            schemas=schemas,
            user_name=email,
            display_name=display_name,
            active=active,
            emails=[Email(value=email)] if with_emails else None,
            name=(
                Name(formatted=display_name, given_name=given or None, family_name=family or None)
                if with_emails
                else None
            ),
            preferred_language=language,
            sso=sso,
        )

    async def create_user(
        self,
        *,
        email: str,
        display_name: str,
        active: bool,
        language: str | None = None,
        sso_customer_id: str | None = None,
    ) -> str:
        """Create a user; the new id. Never creates a duplicate (R17).

        A create whose answer is lost is settled by looking the user up: found inside the
        company -> done; not found -> sent again. A 409 after such a loss is resolved the
        same way; a 409 for an address outside the company raises ForeignAccountConflict.
        """
        body = self._user_create_body(
            email=email,
            display_name=display_name,
            active=active,
            language=language,
            sso_customer_id=sso_customer_id,
        )
        started = time.monotonic()
        uncertain = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._call("POST", "/Users", body=body, idempotent=False)
            except _OutcomeUnknown as unknown:
                uncertain = True
                found = await self._settle_user(
                    email=email, display_name=display_name, cause=unknown, exhaustive=False
                )
                if found is not None:
                    return found.id
                delay = self._next_delay(attempt=attempt, started=started, hint=None)
                if delay is None:
                    raise UnknownOutcomeError(
                        f"creating {email}: {unknown.error}; a look-up found no such user, "
                        "and the retry budget is spent - run plan again"
                    ) from unknown.error
                await asyncio.sleep(delay)
                continue
            except Conflict as exc:
                found = await self._settle_user(email=email, display_name=display_name, cause=exc)
                if found is not None and uncertain:
                    return found.id  # our own earlier attempt landed (R17)
                if found is not None:
                    raise Conflict(
                        status=exc.status,
                        method=exc.method,
                        path=exc.path,
                        scim_type=exc.scim_type,
                        detail=f"{email} already exists in the company as {found.id}",
                        hint="the live state changed since the plan; run plan again",
                    ) from exc
                raise ForeignAccountConflict(
                    status=exc.status,
                    method=exc.method,
                    path=exc.path,
                    scim_type=exc.scim_type,
                    detail=f"{email} belongs to a TeamViewer account outside the company",
                    hint="ask its owner to remove the account or change its e-mail, or "
                    "declare the user with another address",
                ) from exc
            assert response is not None
            return self._parse(CreatedResource, "POST", "/Users", response).id

    async def _settle_user(
        self, *, email: str, display_name: str, cause: BaseException, exhaustive: bool = True
    ) -> LiveUser | None:
        try:
            return await self.find_user(
                email=email, display_name=display_name, exhaustive=exhaustive
            )
        except LiveError as exc:
            raise UnknownOutcomeError(
                f"creating {email}: the outcome is unknown ({cause}) and the look-up "
                f"failed ({exc}); run plan again to see whether the user exists"
            ) from exc

    async def update_user(
        self, *, user_id: str, display_name: str | None = None, active: bool | None = None
    ) -> None:
        """One PATCH with `replace` operations (the only kind TeamViewer accepts)."""
        ops: list[PatchOperation] = []
        if display_name is not None:
            ops.append(PatchOperation(op="replace", path="displayName", value=display_name))
        if active is not None:
            ops.append(PatchOperation(op="replace", path="active", value=active))
        if not ops:
            return  # nothing changed: no request (R18)
        self._check_patch()
        path = f"/Users/{user_id}"
        if display_name is not None and "user displayName" in self._not_implemented:
            ops = self._name_part_ops(display_name, active)
        try:
            await self._call("PATCH", path, body=PatchRequest(operations=ops))
        except ScimError as exc:
            if not self._fallback("user displayName", exc) or display_name is None:
                raise
            ops = self._name_part_ops(display_name, active)
            await self._call("PATCH", path, body=PatchRequest(operations=ops))

    @staticmethod
    def _name_part_ops(display_name: str, active: bool | None) -> list[PatchOperation]:
        """A rename as the name's parts, for a service that derives displayName from them."""
        given, family = split_name(display_name)
        ops = [
            PatchOperation(op="replace", path="name.givenName", value=given),
            PatchOperation(op="replace", path="name.familyName", value=family),
        ]
        if active is not None:
            ops.append(PatchOperation(op="replace", path="active", value=active))
        return ops

    def _fallback(self, form: str, exc: ScimError) -> bool:
        """Whether a 501 to `form` is to be retried in the other form (and remember it)."""
        if exc.status != 501 or not self.profile.traits.not_implemented_fallbacks:
            return False
        self._not_implemented.add(form)
        return True

    def _check_patch(self) -> None:
        if not self.facts.patch_supported:
            raise ConfigurationError(
                f"{self.label} says it does not support PATCH (ServiceProviderConfig "
                "patch.supported is false); reconcile updates users and groups with PATCH, "
                "so only creates can be applied to this service"
            )

    # --- writing: groups ---------------------------------------------------------------

    async def create_group(self, *, name: str, member_ids: Iterable[str] = ()) -> str:
        """Create a group with its initial members (R18); the new id.

        Members past the per-operation limit are added by a follow-up PATCH. A create
        whose answer is lost is settled by looking the group up by name before re-sending.
        """
        members = sorted(set(member_ids))
        limit = self.patch_limits.max_operations
        first, rest = members[:limit], members[limit:]
        body = GroupCreate(display_name=name, members=[MemberRef(value=m) for m in first])
        started = time.monotonic()
        attempt = 0
        group_id: str | None = None
        while group_id is None:
            attempt += 1
            try:
                response = await self._call("POST", "/Groups", body=body, idempotent=False)
            except _OutcomeUnknown as unknown:
                try:
                    found = await self.find_groups_by_name(name=name)
                except LiveError as exc:
                    raise UnknownOutcomeError(
                        f"creating group {name!r}: the outcome is unknown ({unknown}) and the "
                        f"look-up failed ({exc}); run plan again"
                    ) from exc
                if found:
                    group_id = found[0].id
                    continue
                delay = self._next_delay(attempt=attempt, started=started, hint=None)
                if delay is None:
                    raise UnknownOutcomeError(
                        f"creating group {name!r}: {unknown.error}; no such group was found "
                        "and the retry budget is spent - run plan again"
                    ) from unknown.error
                await asyncio.sleep(delay)
                continue
            assert response is not None
            created = self._parse(CreatedGroup, "POST", "/Groups", response)
            group_id = created.id
            if created.members is not None and self.profile.traits.not_implemented_fallbacks:
                # A service that drops the members of a create (django-scim2) gets them
                # in the follow-up PATCH; one that echoes them costs nothing more.
                stored = {m.value for m in created.members}
                rest = [m for m in first if m not in stored] + rest
        if rest:
            await self.patch_group(group_id=group_id, add_ids=rest)
        return group_id

    def group_patch_requests(
        self,
        *,
        rename: str | None = None,
        add_ids: Iterable[str] = (),
        remove_ids: Iterable[str] = (),
    ) -> list[PatchRequest]:
        """The PATCH bodies for one group change: one unless past the limit (R18, R19).

        Order: rename, then adds, then removals, so grants land before revocations.
        Removals use `members[value eq "id"]` paths: RFC 7644 removes *every* member for a
        `remove` on `members` without a filter, so the value-list form is never sent.
        """
        budget = self.patch_limits.max_operations
        requests: list[list[PatchOperation]] = [[]]
        room = budget

        def make_room(cost: int) -> None:
            nonlocal room
            if room < cost:
                requests.append([])
                room = budget
            room -= cost

        if rename is not None:
            make_room(1)
            requests[-1].append(PatchOperation(op="replace", path="displayName", value=rename))
        adds = sorted(set(add_ids))
        while adds:
            if room == 0:
                requests.append([])
                room = budget
            take, adds = adds[:room], adds[room:]
            room -= len(take)
            requests[-1].append(
                PatchOperation(op="add", path="members", value=[{"value": m} for m in take])
            )
        for member in sorted(set(remove_ids)):
            make_room(1)
            requests[-1].append(
                PatchOperation(op="remove", path=f"members[value eq {_filter_literal(member)}]")
            )
        return [PatchRequest(operations=ops) for ops in requests if ops]

    async def patch_group(
        self,
        *,
        group_id: str,
        rename: str | None = None,
        add_ids: Iterable[str] = (),
        remove_ids: Iterable[str] = (),
    ) -> int:
        """Rename and change members in one PATCH (more only past the limits); the count."""
        requests = self.group_patch_requests(rename=rename, add_ids=add_ids, remove_ids=remove_ids)
        if requests:
            self._check_patch()
        if "group patch" in self._not_implemented:
            return await self._patch_group_other_form(
                group_id=group_id, rename=rename, add_ids=add_ids, remove_ids=remove_ids
            )
        for index, request in enumerate(requests):
            try:
                await self._call("PATCH", f"/Groups/{group_id}", body=request)
            except ScimError as exc:
                # Nothing of a refused request was applied (RFC 7644 3.5.2: all or none);
                # the first request is the only one that can hold a rename.
                if index > 0 or not self._fallback("group patch", exc):
                    raise
                return await self._patch_group_other_form(
                    group_id=group_id, rename=rename, add_ids=add_ids, remove_ids=remove_ids
                )
        return len(requests)

    async def _patch_group_other_form(
        self,
        *,
        group_id: str,
        rename: str | None,
        add_ids: Iterable[str],
        remove_ids: Iterable[str],
    ) -> int:
        """A group change for a service that answered 501 to the filtered removal or the
        `displayName` replace (django-scim2): members added and removed by value lists,
        the rename by a PUT of the group as it is. Only sent after that 501, because a
        standard service removes *every* member for `remove` on `members` (RFC 7644)."""
        sent = 0
        path = f"/Groups/{group_id}"
        for request in self.group_patch_requests(add_ids=add_ids):
            await self._call("PATCH", path, body=request)
            sent += 1
        removals = sorted(set(remove_ids))
        limit = self.patch_limits.max_operations
        for start in range(0, len(removals), limit):
            chunk = [{"value": m} for m in removals[start : start + limit]]
            operation = PatchOperation(op="remove", path="members", value=chunk)
            await self._call("PATCH", path, body=PatchRequest(operations=[operation]))
            sent += 1
        if rename is not None:
            response = await self._call("GET", path)
            assert response is not None
            current = self._parse(GroupResource, "GET", path, response).to_live()
            body = GroupCreate(
                display_name=rename,
                members=[MemberRef(value=m) for m in sorted(current.member_ids)],
            )
            await self._call("PUT", path, body=body)
            sent += 1
        return sent

    async def delete_group(self, *, group_id: str) -> None:
        """Delete a group; a 404 after a lost answer means the first attempt worked."""
        await self._call("DELETE", f"/Groups/{group_id}", absent_is_done=True)
