"""SCIM wire models: strict where we write the shape, tolerant where a service does.

Requests we send are `extra="forbid"` so a typo cannot reach the service. Answers are
read leniently (services add `meta`, `schemas`, extensions...) but the few fields the
engine depends on are type-checked, and a missing one is an error, not a default.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# pydantic needs typing_extensions' TypedDict on Python 3.11.
from typing_extensions import TypedDict

from reconcile.live.model import LiveGroup, LiveUser

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SSO_SCHEMA = "urn:ietf:params:scim:schemas:extension:teamviewer:1.0:SsoUser"


class _Outgoing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Email(_Outgoing):
    value: str
    primary: bool = True
    type: str = "work"


class Name(_Outgoing):
    formatted: str
    given_name: str | None = Field(default=None, alias="givenName")
    family_name: str | None = Field(default=None, alias="familyName")


class SsoExtension(_Outgoing):
    sso_customer_id: str = Field(alias="ssoCustomerId")


class UserCreate(_Outgoing):
    schemas: list[str]
    user_name: str = Field(alias="userName")
    display_name: str = Field(alias="displayName")
    active: bool
    emails: list[Email] | None = None
    name: Name | None = None
    preferred_language: str | None = Field(default=None, alias="preferredLanguage")
    sso: SsoExtension | None = Field(default=None, alias=SSO_SCHEMA)


class MemberRef(_Outgoing):
    value: str


class GroupCreate(_Outgoing):
    schemas: list[str] = [GROUP_SCHEMA]
    display_name: str = Field(alias="displayName")
    members: list[MemberRef]


class PatchOperation(_Outgoing):
    op: Literal["add", "remove", "replace"]
    path: str | None = None
    value: Any = None


class PatchRequest(_Outgoing):
    schemas: list[str] = [PATCH_SCHEMA]
    operations: list[PatchOperation] = Field(alias="Operations")


def dump(model: BaseModel) -> dict[str, Any]:
    """The JSON body of an outgoing model: by alias, without unset optional fields."""
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


# --- answers -------------------------------------------------------------------------


class _Incoming(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ErrorBody(_Incoming):
    status: str | int | None = None
    scim_type: str | None = Field(default=None, alias="scimType")
    detail: str | None = None


class CreatedResource(_Incoming):
    id: str = Field(min_length=1)


class _MemberIn(_Incoming):
    value: str


class CreatedGroup(_Incoming):
    """A create's answer for a group: `members` as the service stored them (None: not
    echoed, so taken as stored)."""

    id: str = Field(min_length=1)
    members: list[_MemberIn] | None = None


class EmailIn(_Incoming):
    value: str | None = None
    primary: bool | None = None


class NameIn(_Incoming):
    formatted: str | None = None
    given_name: str | None = Field(default=None, alias="givenName")
    family_name: str | None = Field(default=None, alias="familyName")


class UserResource(_Incoming):
    id: str = Field(min_length=1)
    user_name: str = Field(alias="userName", min_length=1)
    display_name: str | None = Field(default=None, alias="displayName")
    name: NameIn | None = None
    emails: list[EmailIn] | None = None
    # RFC 7643: `active` is optional; a service that omits it does not deactivate anyone.
    active: bool = True

    def email(self) -> str:
        """The address that identifies the user (R1): userName when it is one (TeamViewer
        returns the e-mail there), else the primary e-mail, else userName as is."""
        if "@" in self.user_name:
            return self.user_name
        for entry in sorted(self.emails or (), key=lambda e: not e.primary):
            if entry.value:
                return entry.value
        return self.user_name

    def effective_name(self) -> str:
        """R14: the one stored name; TeamViewer holds it in displayName and name.formatted."""
        if self.display_name:
            return self.display_name
        if self.name is not None:
            if self.name.formatted:
                return self.name.formatted
            parts = [p for p in (self.name.given_name, self.name.family_name) if p]
            return " ".join(parts)
        return ""

    def to_live(self) -> LiveUser:
        return LiveUser(
            id=sys.intern(self.id),
            email=self.email(),
            display_name=self.effective_name(),
            active=self.active,
        )


class MemberIn(TypedDict):
    """A group member: only `value` (the user id) is read. A TypedDict rather than a
    model: a page of 1,000 groups holds 100,000 members, and model instances for them
    took twice as long to validate."""

    value: Annotated[str, Field(min_length=1)]


class GroupResource(_Incoming):
    id: str = Field(min_length=1)
    display_name: str = Field(alias="displayName")
    members: list[MemberIn] | None = None

    def to_live(self) -> LiveGroup:
        # Interned, like user ids: "Shared objects" in plan/planner.py.
        return LiveGroup(
            id=self.id,
            name=self.display_name,
            member_ids=frozenset([sys.intern(m["value"]) for m in self.members or ()]),
        )


class ListResponse(_Incoming):
    total_results: int = Field(alias="totalResults", ge=0)
    # TeamViewer echoes startIndex 0: read it, never trust it (fetch computes its own).
    start_index: int | None = Field(default=None, alias="startIndex")
    items_per_page: int | None = Field(default=None, alias="itemsPerPage")
    resources: list[dict[str, Any]] = Field(default_factory=list, alias="Resources")

    @field_validator("resources", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value
