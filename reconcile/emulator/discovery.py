"""Discovery documents: ServiceProviderConfig, ResourceTypes, Schemas (RFC 7643 5-7).

They describe what the emulator really supports: PATCH yes, bulk no, ETags no, sort no,
filter limited (see docs/emulator.md), create-only attributes as writeOnly/never.
"""

from __future__ import annotations

from typing import Any

from reconcile.emulator.wire import (
    GROUP_SCHEMA,
    RESOURCE_TYPE_SCHEMA,
    SCHEMA_SCHEMA,
    SPC_SCHEMA,
    SSO_SCHEMA,
    USER_SCHEMA,
)


def _attr(
    name: str,
    *,
    type_: str = "string",
    multi: bool = False,
    required: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    description: str = "",
    subs: list[dict[str, Any]] | None = None,
    reference_types: list[str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multiValued": multi,
        "description": description or name,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if subs is not None:
        out["subAttributes"] = subs
    if reference_types is not None:
        out["referenceTypes"] = reference_types
    return out


def _meta(resource_type: str, location: str) -> dict[str, Any]:
    return {"resourceType": resource_type, "location": location}


def user_schema(*, rfc_strict: bool) -> dict[str, Any]:
    # TeamViewer: userName/e-mail cannot change -> immutable; the name is one value.
    email_mutability = "readWrite" if rfc_strict else "immutable"
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "TeamViewer user account",
        "attributes": [
            _attr(
                "userName",
                required=True,
                mutability=email_mutability,
                uniqueness="global" if not rfc_strict else "server",
                description="The user's e-mail address (unique across TeamViewer)",
            ),
            _attr(
                "name",
                type_="complex",
                subs=[
                    _attr("formatted"),
                    _attr("familyName"),
                    _attr("givenName"),
                ],
            ),
            _attr("displayName"),
            _attr(
                "emails",
                type_="complex",
                multi=True,
                mutability=email_mutability,
                subs=[
                    _attr("value", mutability=email_mutability),
                    _attr("primary", type_="boolean", mutability=email_mutability),
                ]
                + ([_attr("type")] if rfc_strict else []),
            ),
            _attr("active", type_="boolean"),
            _attr(
                "password",
                mutability="writeOnly",
                returned="never",
                description="Create only; never returned",
            ),
            _attr(
                "preferredLanguage",
                mutability="writeOnly",
                returned="never",
                description="Create only (welcome e-mail language, default en); never returned",
            ),
        ]
        + ([_attr("externalId", case_exact=True)] if rfc_strict else []),
        "meta": _meta("Schema", f"/Schemas/{USER_SCHEMA}"),
    }


def sso_schema() -> dict[str, Any]:
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": SSO_SCHEMA,
        "name": "SsoUser",
        "description": "TeamViewer single sign-on extension",
        "attributes": [
            _attr(
                "ssoCustomerId",
                mutability="writeOnly",
                returned="never",
                case_exact=True,
                description="Create only: the user signs in through SSO; never returned",
            )
        ],
        "meta": _meta("Schema", f"/Schemas/{SSO_SCHEMA}"),
    }


def group_schema(*, rfc_strict: bool) -> dict[str, Any]:
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "TeamViewer user group",
        "attributes": [
            _attr("displayName", required=True),
            _attr(
                "members",
                type_="complex",
                multi=True,
                subs=[
                    _attr("value", mutability="immutable", case_exact=True),
                    _attr(
                        "$ref",
                        type_="reference",
                        mutability="immutable",
                        reference_types=["User"],
                    ),
                    _attr("display", mutability="readOnly"),
                ],
            ),
        ]
        + ([_attr("externalId", case_exact=True)] if rfc_strict else []),
        "meta": _meta("Schema", f"/Schemas/{GROUP_SCHEMA}"),
    }


def schemas(*, rfc_strict: bool) -> list[dict[str, Any]]:
    return [user_schema(rfc_strict=rfc_strict), sso_schema(), group_schema(rfc_strict=rfc_strict)]


def resource_types() -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User accounts",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": SSO_SCHEMA, "required": False}],
            "meta": _meta("ResourceType", "/ResourceTypes/User"),
        },
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "User groups",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": _meta("ResourceType", "/ResourceTypes/Group"),
        },
    ]


def service_provider_config(*, max_page_size: int) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://github.com/teamviewer/scim-api-docs",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": max_page_size},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A TeamViewer script token: Authorization: Bearer <token>",
                "primary": True,
            }
        ],
        "meta": _meta("ServiceProviderConfig", "/ServiceProviderConfig"),
    }
