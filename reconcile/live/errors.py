"""Errors of the live side: talking to a SCIM service and reading its state.

One hierarchy, in the style of httpx. Low-level exceptions (httpx, json, pydantic) are
translated at the boundary with ``raise ... from exc``; nothing else escapes the client.

    ReconcileError                     (reconcile.errors, project-wide base)
    └── LiveError
        ├── ConfigurationError         bad target URL, plain HTTP to a remote host, no token
        ├── TransportError             no usable answer: timeout, refused or dropped connection
        ├── UnexpectedResponseError    an answer that is not SCIM (bad JSON, wrong shape, 3xx)
        ├── ScimError                  a SCIM error answer: .status, .scim_type, .detail
        │   ├── BadRequest             400 (invalidFilter, mutability, invalidValue, ...)
        │   ├── Unauthorized           401: token missing, wrong or expired
        │   ├── Forbidden              403: token lacks a scope
        │   ├── NotFound               404
        │   ├── Conflict               409
        │   │   └── ForeignAccountConflict  R17: the address belongs to an account
        │   │                               outside the company
        │   ├── RateLimited            429: .retry_after (seconds, or None)
        │   └── ServerError            5xx
        ├── UnknownOutcomeError        a create whose answer was lost and could not be settled
        ├── LiveStateError             the service's listing cannot be planned from
        │   └── IncompleteListingError the listing was inconsistent twice in a row
        └── SnapshotError              a --live snapshot file is unreadable or invalid

Every message says what to do next and never contains the token: the client never puts
headers into errors, and `Secret` (reconcile.live.secret) redacts itself.
"""

from __future__ import annotations

from reconcile.errors import ReconcileError


class LiveError(ReconcileError):
    """Base of every error raised while talking to a SCIM service or reading live state."""


class ConfigurationError(LiveError):
    """The target, token or options cannot work; nothing was sent."""


class TransportError(LiveError):
    """No usable answer arrived: a timeout, a refused connection or a dropped answer."""


class UnexpectedResponseError(LiveError):
    """The service answered something that is not the SCIM it promised."""


class ScimError(LiveError):
    """A SCIM error answer (RFC 7644 section 3.12), after any retries the policy allowed."""

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        scim_type: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.scim_type = scim_type
        self.detail = detail
        self.hint = hint
        # Set by the session: an earlier attempt of the same request may have reached the
        # service (its answer was lost), so this answer does not prove nothing changed.
        self.maybe_applied = False
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [f"{self.method} {self.path} answered {self.status}"]
        if self.scim_type:
            parts.append(f"({self.scim_type})")
        text = " ".join(parts)
        if self.detail:
            text += f": {self.detail}"
        if self.hint:
            text += f" - {self.hint}"
        return text


class BadRequest(ScimError):
    """400: the service refused the request's shape or values."""


class Unauthorized(ScimError):
    """401: the token is missing, wrong or expired."""


class Forbidden(ScimError):
    """403: the token is valid but lacks a scope."""


class NotFound(ScimError):
    """404: the resource does not exist (any more)."""


class Conflict(ScimError):
    """409: uniqueness or a concurrent change."""


class ForeignAccountConflict(Conflict):
    """R17: the e-mail address belongs to a TeamViewer account outside the company."""


class RateLimited(ScimError):
    """429 after the retry budget ran out; `retry_after` is the service's last hint."""

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        scim_type: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(
            status=status, method=method, path=path, scim_type=scim_type, detail=detail, hint=hint
        )


class ServerError(ScimError):
    """5xx: the service failed; retried as far as the policy allowed."""


class UnknownOutcomeError(LiveError):
    """A create's answer was lost and a look-up could not tell whether it happened."""


class LiveStateError(LiveError):
    """The service's state cannot be planned from (ambiguous or inconsistent)."""


class IncompleteListingError(LiveStateError):
    """The listing was inconsistent, re-read once, and was inconsistent again."""


class SnapshotError(LiveError):
    """A snapshot file cannot be read, or is not a valid snapshot."""


# 400 and the classes above; anything else in 4xx is a plain ScimError.
_BY_STATUS: dict[int, type[ScimError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}

_HINTS: dict[int, str] = {
    401: "check TEAMVIEWER_TOKEN (or --token-file): the token is missing, wrong or expired",
    403: "the token lacks a scope; it needs Users.Read, Users.CreateUsers and "
    "Users.ModifyUsers (see the TeamViewer Management Console)",
    429: "the service is rate limiting; lower --rate-limit or try again later",
}


def scim_error_for(
    *,
    status: int,
    method: str,
    path: str,
    scim_type: str | None,
    detail: str | None,
    retry_after: float | None = None,
) -> ScimError:
    """The typed error for an error status, with a hint on what to do."""
    hint = _HINTS.get(status)
    if status >= 500:
        hint = "the service failed; retry later, or report it to the service's operator"
        return ServerError(
            status=status, method=method, path=path, scim_type=scim_type, detail=detail, hint=hint
        )
    if status == 429:
        return RateLimited(
            retry_after=retry_after,
            status=status,
            method=method,
            path=path,
            scim_type=scim_type,
            detail=detail,
            hint=hint,
        )
    cls = _BY_STATUS.get(status, ScimError)
    return cls(
        status=status, method=method, path=path, scim_type=scim_type, detail=detail, hint=hint
    )
