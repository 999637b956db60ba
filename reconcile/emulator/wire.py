"""Wire constants and the strict request models the emulator controls the shape of.

Resource bodies (User, Group) are read leniently from dicts, as SCIM servers ignore
attributes they do not know; PatchOp and SearchRequest envelopes are strict.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCIM_MEDIA_TYPE = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
SSO_SCHEMA = "urn:ietf:params:scim:schemas:extension:teamviewer:1.0:SsoUser"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# What TeamViewer's own public PATCH example lists (its text and RFC 7644 name the one
# above); the TeamViewer mode accepts both, RFC-strict mode only the standard one.
TEAMVIEWER_EXAMPLE_PATCH_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:PatchOp"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class PatchOperationIn(BaseModel):
    # `op` is case-insensitive in the wild (Azure AD sends "Replace"); normalised later.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    op: str
    path: str | None = None
    value: Any = None


class PatchOpIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schemas: list[str]
    operations: list[PatchOperationIn] = Field(alias="Operations")


class SearchRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schemas: list[str] = Field(default_factory=lambda: [SEARCH_SCHEMA])
    attributes: list[str] | None = None
    excluded_attributes: list[str] | None = Field(default=None, alias="excludedAttributes")
    filter: str | None = None
    sort_by: str | None = Field(default=None, alias="sortBy")
    sort_order: Literal["ascending", "descending"] | None = Field(default=None, alias="sortOrder")
    start_index: int | None = Field(default=None, alias="startIndex")
    count: int | None = None
