"""The session layer: send one logical request, limited, retried and typed.

    async with Session(...) as session:
        response = await session.send("GET", "/Users", params={"startIndex": 1, "count": 100})

Every request of a client goes through `Session.send`: the rate limiter (token bucket +
shared Retry-After pause), a bounded number in flight, and the retry policy. Low-level
failures become the typed errors of `reconcile.live.errors` here (see answers.py). What a
request says (bodies, paths) is built elsewhere (requests.py); what it is for, too
(client.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel

from reconcile.live.answers import (
    parse_answer,
    redirect_error,
    scim_error,
    transport_error,
    unreadable_error,
)
from reconcile.live.errors import LiveError, RateLimited, TransportError
from reconcile.live.gate import Slot
from reconcile.live.httpclient import (
    SCIM_MEDIA_TYPE,
    Timeouts,
    open_http_client,
    send_bounded,
    wire_trace,
)
from reconcile.live.network import NetworkSettings
from reconcile.live.ratelimit import RateLimiter
from reconcile.live.records import RequestHook, RequestRecord, record
from reconcile.live.retry import RETRYABLE_STATUSES, RetryPolicy
from reconcile.live.secret import Secret
from reconcile.live.wire import dump

_M = TypeVar("_M", bound=BaseModel)

logger = logging.getLogger(__name__)

# Connection never established: the request did not reach the service, re-sending is safe
# even for a create. Every other transport failure may have happened after the service
# acted on the request.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class OutcomeUnknown(Exception):
    """A non-idempotent request may or may not have been applied; the caller settles it
    (see resources.create_then_settle). Never leaves the live package."""

    def __init__(self, error: LiveError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(slots=True, kw_only=True)
class _Call:
    """One logical request across its attempts."""

    method: str
    path: str
    shown: str  # the path with its query string, as records and messages show it
    params: dict[str, str | int] | None
    content: bytes | None
    headers: dict[str, str]
    extensions: dict[str, Any]
    idempotent: bool
    absent_is_done: bool
    started: float = field(default_factory=time.monotonic)
    attempt: int = 0
    maybe_applied: bool = False  # an earlier attempt may have reached the service


class Session:
    """Sends requests to one SCIM service; use it as an async context manager."""

    def __init__(
        self,
        *,
        base_url: httpx.URL,
        token: Secret,
        label: str,
        transport: httpx.AsyncBaseTransport | None,
        timeouts: Timeouts,
        max_concurrency: int,
        limiter: RateLimiter,
        retry: RetryPolicy,
        rng: random.Random,
        on_request: RequestHook | None,
        network: NetworkSettings,
    ) -> None:
        self.label = label
        self.retry = retry
        self.limiter = limiter
        self.max_concurrency = max_concurrency
        self._url = base_url
        self._token = token
        self._transport = transport
        self._network = network  # the proxy and CAs, when no transport is given
        self._timeouts = timeouts
        self._slots = asyncio.Semaphore(max_concurrency)
        self._rng = rng
        self._on_request = on_request
        self._http: httpx.AsyncClient | None = None
        # Set once a request spent its whole retry budget unable to connect: the service
        # is gone, so every later request fails at once instead of spending its own budget
        # (a 10,000-operation apply would otherwise take hours to report the outage).
        self._unreachable: TransportError | None = None

    def __repr__(self) -> str:
        return f"Session(target={self.label!r})"

    async def __aenter__(self) -> Self:
        self._http = open_http_client(
            base_url=self._url,
            token=self._token,
            transport=self._transport,
            timeouts=self._timeouts,
            max_connections=self.max_concurrency,
            network=self._network,
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

    def parse(self, model: type[_M], method: str, path: str, data: Any) -> _M:
        """An answer (or JSON from one) as a wire model, or UnexpectedResponseError."""
        return parse_answer(model, method=method, path=path, label=self.label, data=data)

    def next_delay(self, *, attempt: int, started: float, hint: float | None) -> float | None:
        """The wait before the next attempt, or None when the retry budget is spent."""
        if attempt >= self.retry.max_attempts:
            return None
        delay = self.retry.backoff(retry=attempt, rng=self._rng)
        if hint is not None:
            delay = max(delay, hint)
        if time.monotonic() - started + delay > self.retry.total_time:
            return None
        return delay

    async def send(
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

        `idempotent=False` (a create) turns an unknown outcome into `OutcomeUnknown` for
        the caller to settle instead of re-sending. `absent_is_done` (a delete) treats a 404
        that follows an unknown outcome as the earlier attempt having succeeded. `slot`
        (a listing's place in its gate) is told when the request is busy on the wire and
        when it waits for its answer (see gate.py).
        """
        if self._http is None:
            raise RuntimeError("ScimClient must be used as `async with ScimClient(...)`")
        call = _Call(
            method=method,
            path=path,
            shown=path + ("?" + str(httpx.QueryParams(params)) if params else ""),
            params=params,
            content=None if body is None else json.dumps(dump(body)).encode(),
            headers={} if body is None else {"Content-Type": SCIM_MEDIA_TYPE},
            extensions={} if slot is None else {"trace": wire_trace(slot)},
            idempotent=idempotent,
            absent_is_done=absent_is_done,
        )
        while True:
            call.attempt += 1
            self._check_reachable(call)
            try:
                response = await self._attempt(call, slot)
            except httpx.TransportError as exc:
                await self._after_transport_error(call, exc)
                continue
            except httpx.HTTPError as exc:
                # An answer arrived but could not be read (e.g. a corrupt compressed body
                # from a proxy): the service may have acted, so a create is settled by a
                # look-up (R17) and nothing else is repeated blindly.
                unreadable = unreadable_error(
                    method=method, path=call.shown, label=self.label, exc=exc
                )
                if not idempotent:
                    raise OutcomeUnknown(unreadable) from exc
                raise unreadable from exc
            status = response.status_code
            if 200 <= status < 300:
                self.limiter.on_success()
                return response
            if status == 404 and absent_is_done and call.maybe_applied:
                return None
            await self._after_error_answer(call, response)

    def _check_reachable(self, call: _Call) -> None:
        if self._unreachable is not None:
            raise TransportError(
                f"{call.method} {call.shown} on {self.label}: not sent, the service stopped "
                f"accepting connections earlier in this run ({self._unreachable}); run "
                "again when it is back"
            )

    async def _attempt(self, call: _Call, slot: Slot | None) -> httpx.Response:
        """One request on the wire, recorded; httpx errors pass through."""
        assert self._http is not None
        # Queued for the rate limit or a connection: not on the wire (see gate.py).
        await self.limiter.acquire(on_wait=None if slot is None else slot.waiting)
        if slot is not None and self._slots.locked():
            slot.waiting()
        sent_at = time.time()
        t0 = time.perf_counter()
        try:
            async with self._slots:
                if slot is not None:
                    slot.busy()  # about to connect and send
                request = self._http.build_request(
                    call.method,
                    call.path.lstrip("/"),
                    params=call.params,
                    content=call.content,
                    headers=call.headers,
                    extensions=call.extensions,
                )
                response = await send_bounded(
                    self._http, request, shown=call.shown, label=self.label
                )
        except httpx.HTTPError as exc:
            self._record(call, sent_at=sent_at, t0=t0, status=None, error=type(exc).__name__)
            raise
        self._record(call, sent_at=sent_at, t0=t0, status=response.status_code, error=None)
        return response

    def _record(
        self, call: _Call, *, sent_at: float, t0: float, status: int | None, error: str | None
    ) -> None:
        entry = RequestRecord(
            method=call.method,
            path=call.shown,
            sent_at=sent_at,
            status=status,
            duration=time.perf_counter() - t0,
            attempt=call.attempt,
            error=error,
        )
        record(entry, hook=self._on_request)
        # Method, path, outcome, time, attempt: never headers (the token), never bodies.
        logger.debug(
            "%s %s -> %s in %.0f ms (attempt %d)",
            entry.method,
            entry.path,
            entry.status if entry.status is not None else entry.error,
            entry.duration * 1000,
            entry.attempt,
        )

    async def _after_transport_error(self, call: _Call, exc: httpx.TransportError) -> None:
        """Wait before the next attempt, or raise: the budget is spent, or a create may
        have landed."""
        lost = transport_error(
            method=call.method, path=call.shown, label=self.label, exc=exc, attempt=call.attempt
        )
        sent = not isinstance(exc, _NOT_SENT)
        if sent and not call.idempotent:
            raise OutcomeUnknown(lost) from exc
        call.maybe_applied = call.maybe_applied or sent
        delay = self.next_delay(attempt=call.attempt, started=call.started, hint=None)
        if delay is None:
            if isinstance(exc, httpx.ConnectError):
                self._unreachable = lost
            raise lost from exc
        await asyncio.sleep(delay)

    async def _after_error_answer(self, call: _Call, response: httpx.Response) -> None:
        """Wait before the next attempt after a retryable status, or raise its error."""
        status = response.status_code
        if 300 <= status < 400:
            raise redirect_error(
                method=call.method, path=call.shown, label=self.label, response=response
            )
        error = scim_error(method=call.method, path=call.shown, response=response)
        error.maybe_applied = call.maybe_applied
        if status == 429:
            # Not processed: safe to re-send even a create, once the window is over.
            self.limiter.on_rate_limited()
            hint = error.retry_after if isinstance(error, RateLimited) else None
            delay = self.next_delay(attempt=call.attempt, started=call.started, hint=hint)
            if delay is None:
                raise error
            self.limiter.pause(delay)  # every request of this client waits it out
            return
        if status not in RETRYABLE_STATUSES:
            raise error
        if not call.idempotent:
            raise OutcomeUnknown(error)
        call.maybe_applied = True
        delay = self.next_delay(attempt=call.attempt, started=call.started, hint=None)
        if delay is None:
            raise error
        await asyncio.sleep(delay)
