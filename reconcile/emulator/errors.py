"""SCIM errors raised by the emulator's handlers and their wire form.

    ScimError                 every failure a SCIM client can see (RFC 7644 section 3.12)

Handlers raise `ScimError(status, detail, scim_type=...)`; the app turns it into an
`application/scim+json` Error body with `status` as a string, as the RFC requires.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from reconcile.emulator.wire import ERROR_SCHEMA, SCIM_MEDIA_TYPE, json_bytes


class ScimError(Exception):
    """A SCIM error answer: HTTP status, human detail, optional RFC 7644 scimType."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        scim_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type:
            out["scimType"] = self.scim_type
        out["detail"] = self.detail
        return out

    def response(self) -> Response:
        return Response(
            json_bytes(self.body()),
            status_code=self.status,
            media_type=SCIM_MEDIA_TYPE,
            headers=self.headers,
        )


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, scim_type="invalidValue")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, scim_type="invalidSyntax")


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, scim_type="invalidPath")


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, scim_type="invalidFilter")


def mutability(detail: str) -> ScimError:
    return ScimError(400, detail, scim_type="mutability")


def uniqueness(detail: str) -> ScimError:
    return ScimError(409, detail, scim_type="uniqueness")


def not_found(detail: str) -> ScimError:
    return ScimError(404, detail)
