"""The strict schema of one desired-state file (pydantic), and its JSON Schema.

Every model forbids unknown keys and is strict (no "yes" for true, no 10.0 for 10): a typo
must be an error, never a silent default. The loader validates a file piece by piece
(tenant, each user, each group) with these models, so one bad user does not hide the
errors of the others; `FileSchema` ties them together for the JSON Schema editors use.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
)
from pydantic_core import PydanticCustomError

from reconcile.desired.expiry import EXPIRES_HINT, ExpiresError, parse_expires

SCHEMA_ID = "https://reconcile.example.test/desired-state.schema.json"

GROUP_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
# Editors check the shape; the loader's parser (expiry.py) checks the calendar and offset.
EXPIRES_PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2}))?$"
# Deliberately plain: the loader's own check (`email_problem`) gives the precise reason.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
# The common, valid case in one regex (100k users); the detailed checks explain failures.
_VALID_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z"
)

GroupKey = Annotated[str, StringConstraints(pattern=GROUP_KEY_PATTERN, max_length=128)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]


def email_problem(email: str) -> str | None:
    """Why `email` is not a usable address, or None. ASCII only: look-alike letters
    (a Cyrillic letter for a Latin one) would silently create a second account."""
    address = email.strip()
    if _VALID_EMAIL.match(address) and len(address) <= 254 and address.index("@") <= 64:
        return None
    for index, char in enumerate(address):
        if ord(char) > 127:
            name = unicodedata.name(char, "unnamed character")
            return (
                f"e-mail '{address}' contains the non-ASCII character '{char}' (U+{ord(char):04X} "
                f"{name}) at position {index + 1}: look-alike letters make a different account; "
                "type the address in plain ASCII (for an internationalized domain, its xn-- form)"
            )
    if not address:
        return "e-mail is empty"
    if any(char.isspace() for char in address):
        return f"e-mail '{address}' contains whitespace"
    if address.count("@") != 1:
        return f"e-mail '{address}' must contain exactly one '@'"
    local, domain = address.split("@")
    if not local or len(local) > 64 or not _LOCAL_PART.match(local):
        return (
            f"e-mail '{address}': the part before '@' is not valid (letters, digits, "
            "!#$%&'*+/=?^_`{|}~- and single dots inside, at most 64 characters)"
        )
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        return (
            f"e-mail '{address}': the domain '{domain}' is not valid (dot-separated names of "
            "letters, digits and inner hyphens, like example.com)"
        )
    if len(address) > 254:
        return f"e-mail '{address[:40]}...' is longer than 254 characters"
    return None


def _checked_email(value: str) -> str:
    problem = email_problem(value)
    if problem:
        raise PydanticCustomError("email", problem)
    return value.strip()


# An e-mail in a list (tenant.protected_users): checked per item, so that an error names
# the item's own line.
Email = Annotated[
    str, Field(json_schema_extra={"pattern": EMAIL_PATTERN}), AfterValidator(_checked_email)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _check_expires(value: object) -> object:
    """R24: a date or a timestamp with an offset; anything else says what to write."""
    if value is None:
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "expires", "'expires' must be a date or a timestamp, quoted if need be: " + EXPIRES_HINT
        )
    try:
        parse_expires(value)
    except ExpiresError as exc:
        raise PydanticCustomError("expires", "'expires': " + str(exc)) from exc
    return value.strip()


_EXPIRES_DESCRIPTION = (
    "Access ends (R24): a date (through the end of that day, UTC) or an ISO 8601 timestamp "
    "with an offset."
)
Expires = Annotated[
    str,
    BeforeValidator(_check_expires),
    Field(json_schema_extra={"pattern": EXPIRES_PATTERN}, description=_EXPIRES_DESCRIPTION),
]
# The check wraps the whole optional value, so a bad value gets one error, not one per type.
OptionalExpires = Annotated[
    Annotated[str, Field(json_schema_extra={"pattern": EXPIRES_PATTERN})] | None,
    BeforeValidator(_check_expires),
]


class SafetySchema(_Strict):
    """R20: apply refuses a plan above any of these limits (unless overridden)."""

    max_deactivations: int = Field(
        10, ge=0, description="Most users one apply may deactivate (0 = none)."
    )
    max_deactivation_percent: float = Field(
        20.0,
        ge=0,
        le=100,
        description="Most active users one apply may deactivate, in percent (0..100); "
        "counts only when at least 10 users are active.",
    )
    max_group_deletions: int = Field(3, ge=0, description="Most groups one apply may delete.")
    max_removals_per_group: int = Field(
        10, ge=0, description="Most members one group may lose in one apply (0 = none)."
    )
    max_removal_percent_per_group: float = Field(
        50.0,
        ge=0,
        le=100,
        description="Most of one group's members it may lose in one apply, in percent "
        "(0..100); counts only for groups of at least 10 members.",
    )


class ServiceSchema(_Strict):
    """What reconcile should know up front about the SCIM service."""

    max_members_per_request: int | None = Field(
        None,
        ge=1,
        description="Most member values one group request carries (a create's initial "
        "members, a PATCH's adds and removals); default 1000. A request the service refuses "
        "for its size is split and sent again anyway; this saves the refused requests.",
    )


class TenantSchema(_Strict):
    """The TeamViewer company as a whole. Keys may be split across files, each set once."""

    sso_customer_id: str | None = Field(
        None,
        description="Sent when a user is created so they sign in through SSO; never compared. "
        "Use ${TEAMVIEWER_SSO_CUSTOMER_ID} rather than the value itself.",
    )
    manage_groups: bool = Field(True, description="false: never touch groups or memberships.")
    unmanaged_users: Literal["ignore", "deactivate"] = Field(
        "ignore", description="Live users not declared in these files: ignore or deactivate."
    )
    enabled: bool = Field(True, description="false: the integration is paused, plans are empty.")
    safety: SafetySchema = Field(default_factory=SafetySchema)
    protected_users: list[Email] | None = Field(
        None,
        description="R23: e-mails no plan may ever deactivate (break-glass admins, the account "
        "that owns the API token); a plan that would is an error no flag overrides.",
    )
    expiry_warning_days: int = Field(
        7, ge=0, description="Plans warn about expiries (R24) this many days ahead."
    )
    service: ServiceSchema = Field(default_factory=ServiceSchema)


class UserSchema(_Strict):
    """A person, identified by e-mail (case-insensitive). Needs display_name, or both
    first_name and last_name (R14)."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [{"required": ["display_name"]}, {"required": ["first_name", "last_name"]}]
        }
    )

    email: str = Field(json_schema_extra={"pattern": EMAIL_PATTERN}, description="Identity.")
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = Field(None, description="Else 'first_name last_name'.")
    suspended: bool = Field(False, description="true: deactivated, keeps its groups.")
    password_expired: bool = Field(False, description="true: deactivated until renewed.")
    language: Annotated[str, StringConstraints(pattern=LANGUAGE_PATTERN)] | None = Field(
        None, description="Preferred language (e.g. de, en, pt-BR); sent on create only."
    )
    expires: OptionalExpires = Field(
        None, description="All of this user's access ends then. " + _EXPIRES_DESCRIPTION
    )

    @field_validator("email")
    @classmethod
    def _email_syntax(cls, value: str) -> str:
        return _checked_email(value)

    def name_problem(self) -> str | None:
        """R14: display_name, or both first_name and last_name, non-empty after trimming."""
        if self.display_name and self.display_name.strip():
            return None
        missing = [
            key for key in ("first_name", "last_name") if not (getattr(self, key) or "").strip()
        ]
        if not missing:
            return None
        return (
            f"user '{self.email}' has no name: give display_name, or both first_name and "
            f"last_name (missing or empty: {', '.join(missing)})"
        )


class MemberSchema(_Strict):
    """A member whose membership expires (R24): `{email: ..., expires: 2027-03-31}`."""

    email: str = Field(description="E-mail of a declared user.")
    expires: Expires


class GroupSchema(_Strict):
    """A TeamViewer user group, under a stable key."""

    name: NonEmpty = Field(description="The group's name (displayName) in TeamViewer.")
    id: NonEmpty | None = Field(None, description="Pin to a live group id (written by import).")
    renamed_from: list[NonEmpty] | None = Field(
        None, description="Former names: the live group is renamed in place, not re-created."
    )
    state: Literal["present", "deleted"] = Field(
        "present", description="deleted: the live group is deleted."
    )
    # str first: the plain e-mail, by far the common case, is checked in pydantic's core.
    members: list[str | MemberSchema] | None = Field(
        None, description="E-mails of declared users, or {email, expires} (R24)."
    )


class FileSchema(_Strict):
    """One desired-state file. All files of the folder are merged."""

    model_config = ConfigDict(title="reconcile desired state")

    tenant: TenantSchema | None = None
    users: list[UserSchema] | None = None
    groups: dict[GroupKey, GroupSchema] | None = None


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one desired-state YAML file, for editors."""
    schema = FileSchema.model_json_schema()
    # pydantic writes the key pattern as patternProperties, which lets other keys through;
    # propertyNames makes editors reject a bad group key as the loader does.
    for branch in schema["properties"]["groups"]["anyOf"]:
        if branch.get("type") == "object":
            (group_ref,) = branch.pop("patternProperties").values()
            branch["additionalProperties"] = group_ref
            branch["propertyNames"] = {"pattern": GROUP_KEY_PATTERN, "maxLength": 128}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


# For the fast path (rows.py) only: the same user, except that the e-mail is checked by one
# pattern in pydantic's core rather than by `email_problem` in Python (a tenth of a second
# at 100k users). It accepts only addresses `email_problem` accepts, written without spaces
# to trim, up to a local part of 64 characters, which the fast path checks itself; anything
# else it refuses sends the file to the exact reader, which explains. Derived from
# UserSchema so the two cannot drift apart.
FAST_EMAIL_PATTERN = "^" + _VALID_EMAIL.pattern.removesuffix(r"\Z") + r"\z"
_FAST_USER_FIELDS: dict[str, Any] = {
    name: (info.annotation, info) for name, info in UserSchema.model_fields.items()
}
_FAST_USER_FIELDS["email"] = (
    Annotated[str, StringConstraints(pattern=FAST_EMAIL_PATTERN, max_length=254)],
    ...,
)
FastUserSchema = create_model("FastUserSchema", __base__=_Strict, **_FAST_USER_FIELDS)


class FastFileSchema(_Strict):
    users: list[FastUserSchema] | None = None
    groups: dict[GroupKey, GroupSchema] | None = None
