"""What an answer means: wire models out of JSON, typed errors out of everything else.

The boundary between httpx/pydantic and the live error hierarchy (reconcile.live.errors):
every function here turns a low-level answer or failure into a message that names the
request and the target (never a header, never a body) and says what to do.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from reconcile.live.errors import (
    ScimError,
    TransportError,
    UnexpectedResponseError,
    scim_error_for,
)
from reconcile.live.retry import parse_retry_after
from reconcile.live.target import label_of
from reconcile.live.wire import ErrorBody

_M = TypeVar("_M", bound=BaseModel)


def transport_error(
    *, method: str, path: str, label: str, exc: httpx.TransportError, attempt: int
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
        f"{method} {path} on {label}: {kind} (attempt {attempt}); check the network "
        "and --target, or retry later"
    )


def unreadable_error(
    *, method: str, path: str, label: str, exc: httpx.HTTPError
) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"{method} {path} on {label}: the answer could not be read "
        f"({type(exc).__name__}); check for a proxy altering responses, then run "
        "plan again"
    )


def redirect_error(
    *, method: str, path: str, label: str, response: httpx.Response
) -> UnexpectedResponseError:
    location = response.headers.get("Location", "")
    try:
        where = label_of(httpx.URL(location)) if location else "an unnamed location"
    except httpx.InvalidURL:
        where = "an invalid location"
    return UnexpectedResponseError(
        f"{method} {path} on {label} answered a redirect ({response.status_code}) "
        f"to {where}; redirects are not followed so the token stays with the target: "
        "set --target to the final SCIM base URL"
    )


def scim_error(*, method: str, path: str, response: httpx.Response) -> ScimError:
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


def answer_json(*, method: str, path: str, label: str, response: httpx.Response) -> Any:
    """An answer's JSON as it is (a discovery document), or UnexpectedResponseError."""
    try:
        return response.json()
    except ValueError as exc:
        raise UnexpectedResponseError(
            f"{method} {path} on {label} answered {response.status_code} without "
            "JSON; check that --target is the SCIM base URL (ending in /scim/v2)"
        ) from exc


def parse_answer(model: type[_M], *, method: str, path: str, label: str, data: Any) -> _M:
    """Validate JSON (or an httpx answer's JSON) into a wire model, or a typed error."""
    if isinstance(data, httpx.Response):
        data = answer_json(method=method, path=path, label=label, response=data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise UnexpectedResponseError(
            f"{method} {path} on {label}: the answer is not a valid "
            f"{model.__name__} ({where}: {first['msg']}); is --profile right?"
        ) from exc
