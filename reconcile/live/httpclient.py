"""The httpx client a session sends through: built in one place, its answers read bounded.

`open_http_client` is the only place an `httpx.AsyncClient` is constructed: timeouts,
connection limits, the bearer token, no redirects, and from the environment only the proxy
and the trusted CAs (network.py: never `.netrc`). The token lives in a `Secret` and is
added by an httpx auth flow, so it is never part of a repr, a message or a record;
redirects are never followed, so it never travels to another host.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, Final

import httpx

from reconcile.live.errors import ConfigurationError, UnexpectedResponseError
from reconcile.live.gate import Slot
from reconcile.live.network import NetworkSettings, transport_for
from reconcile.live.secret import Secret

SCIM_MEDIA_TYPE: Final = "application/scim+json"

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    connect: float = 10.0
    read: float = 60.0


class BearerAuth(httpx.Auth):
    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(***)"


def check_token(token: str | Secret) -> Secret:
    """The token as a Secret, or a ConfigurationError that never echoes it."""
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


def open_http_client(
    *,
    base_url: httpx.URL,
    token: Secret,
    transport: httpx.AsyncBaseTransport | None,
    timeouts: Timeouts,
    max_connections: int,
    network: NetworkSettings,
) -> httpx.AsyncClient:
    """The one httpx client of a session (see the module docstring for why each setting).

    A given `transport` (in-process, tests) is used as it is; otherwise the proxy and the
    trusted CAs come from the environment and `network` (--ca-bundle, see network.py).
    """
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
    )
    return httpx.AsyncClient(
        base_url=str(base_url).rstrip("/") + "/",
        auth=BearerAuth(token),
        transport=transport or transport_for(base_url, settings=network, limits=limits),
        timeout=httpx.Timeout(
            connect=timeouts.connect,
            read=timeouts.read,
            write=timeouts.read,
            pool=None,  # the session's semaphore bounds what is in flight
        ),
        limits=limits,
        headers={"Accept": SCIM_MEDIA_TYPE},
        follow_redirects=False,  # a redirect must never carry the token elsewhere
        trust_env=False,  # never .netrc; the proxy and CAs are read in network.py
    )


def wire_trace(slot: Slot) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    """An httpcore trace hook telling `slot` when its request is busy on the wire."""

    async def trace(event: str, info: dict[str, Any]) -> None:
        if event in _BUSY_EVENTS:
            slot.busy()
        elif event in _WAITING_EVENTS or event.endswith(".failed"):
            slot.waiting()

    return trace


async def send_bounded(
    http: httpx.AsyncClient, request: httpx.Request, *, shown: str, label: str
) -> httpx.Response:
    """One exchange, its body read in full unless it is over MAX_RESPONSE_BYTES."""
    response = await http.send(request, stream=True)
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
            f"{request.method} {shown} on {label} answered more than "
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
