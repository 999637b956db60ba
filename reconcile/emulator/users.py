"""/Users: TeamViewer's user semantics, or plain RFC 7644 in strict mode.

TeamViewer mode (the default) reproduces the documented quirks: `u` ids, userName is the
one e-mail, a single stored name re-split at the first space on output, create-only
password/preferredLanguage/ssoCustomerId, global case-insensitive e-mail uniqueness
(foreign accounts included), immutable e-mail, replace-only PATCH, no DELETE, and list
filters limited to one displayName comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reconcile.emulator.errors import (
    ScimError,
    invalid_filter,
    invalid_path,
    invalid_syntax,
    invalid_value,
    mutability,
    not_found,
    uniqueness,
)
from reconcile.emulator.filters import (
    AttrPath,
    Compare,
    Filter,
    matches,
    parse_filter,
    parse_patch_path,
)
from reconcile.emulator.listing import Page, list_response, project
from reconcile.emulator.patch import Attrs, apply_all, check_envelope
from reconcile.emulator.store import Store, UserRow
from reconcile.emulator.wire import SSO_SCHEMA, USER_SCHEMA, PatchOpIn
from reconcile.identity import email_key

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TV_FILTER_OPS = frozenset({"eq", "ne", "co", "sw", "ew"})
NAME_SUBS = {"formatted": "formatted", "givenname": "givenName", "familyname": "familyName"}
EMAIL_SUBS = {"value": "value", "type": "type", "primary": "primary"}
CREATE_ONLY = frozenset({"password", "preferredlanguage"})

SSO_ATTRS = Attrs(names={"ssocustomerid": "ssoCustomerId"}, core_urn=SSO_SCHEMA)
USER_ATTRS = Attrs(
    names={
        "username": "userName",
        "name": "name",
        "displayname": "displayName",
        "emails": "emails",
        "active": "active",
        "externalid": "externalId",
        "password": "password",
        "preferredlanguage": "preferredLanguage",
        "id": "id",
        "meta": "meta",
    },
    complex={"name": NAME_SUBS, "emails": EMAIL_SUBS},
    multi=frozenset({"emails"}),
    extensions={SSO_SCHEMA.lower(): SSO_ATTRS},
    core_urn=USER_SCHEMA,
)


def effective_name(*, display_name: Any, formatted: Any, given: Any, family: Any) -> str | None:
    """TeamViewer's input precedence: displayName > name.formatted > given + " " + family."""
    for candidate in (display_name, formatted):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    if isinstance(given, str) and isinstance(family, str) and given.strip() and family.strip():
        return f"{given.strip()} {family.strip()}"
    return None


def split_name(name: str) -> tuple[str | None, str | None]:
    """TeamViewer's output: given = before the first space, family = the rest."""
    given, sep, family = name.partition(" ")
    return (given, family) if sep else (None, None)


def _name_of(body: dict[str, Any]) -> str:
    """The one stored name, by TeamViewer's precedence; 400 when none can be made."""
    name = body.get("name") if isinstance(body.get("name"), dict) else {}
    assert isinstance(name, dict)
    full = effective_name(
        display_name=body.get("displayName"),
        formatted=name.get("formatted"),
        given=name.get("givenName"),
        family=name.get("familyName"),
    )
    if full is None:
        raise _name_missing()
    return full


def _name_missing() -> ScimError:
    return invalid_value(
        "Name parameter missing: send displayName, name.formatted, or both name.givenName"
        " and name.familyName"
    )


@dataclass(slots=True)
class Users:
    store: Store
    rfc_strict: bool
    max_page_size: int
    max_patch_operations: int

    # -- rendering ---------------------------------------------------------------------
    def render(self, row: UserRow, base_url: str) -> dict[str, Any]:
        doc = row.doc
        out: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": row.id}
        if self.rfc_strict:
            if doc.get("externalId") is not None:
                out["externalId"] = doc["externalId"]
            out["userName"] = doc["userName"]
            for key in ("name", "displayName", "emails"):
                if doc.get(key) not in (None, {}, []):
                    out[key] = doc[key]
            if doc.get("active") is not None:
                out["active"] = bool(doc["active"])
        else:
            name = str(doc.get("displayName") or "")
            given, family = split_name(name)
            out["userName"] = doc["userName"]
            out["displayName"] = name
            out["name"] = {"formatted": name, "givenName": given, "familyName": family}
            out["emails"] = [{"value": doc["userName"], "primary": True}]
            out["active"] = bool(doc.get("active", True))
        out["meta"] = {
            "resourceType": "User",
            "created": row.created,
            "lastModified": row.modified,
            "location": f"{base_url}/Users/{row.id}",
        }
        return out

    # -- reads -------------------------------------------------------------------------
    def get(self, user_id: str) -> UserRow:
        row = self.store.get_user(user_id)
        if row is None:
            raise not_found(f"no user with id {user_id!r}")
        return row

    def _check_filter(self, node: Filter) -> None:
        if self.rfc_strict:
            return
        if not isinstance(node, Compare):
            raise invalid_filter(
                "TeamViewer accepts one comparison on displayName (eq, ne, co, sw, ew);"
                " and/or/not, pr and value filters are not supported"
            )
        attr = node.path
        full = f"{attr.name}.{attr.sub}" if attr.sub else attr.name
        if full in ("username", "emails", "emails.value"):
            raise invalid_filter(
                "TeamViewer cannot filter users by e-mail (userName, emails.value): list all"
                " users and match the e-mail on the client"
            )
        if full != "displayname" or node.op not in TV_FILTER_OPS:
            raise invalid_filter(
                f"unsupported filter on {full!r} with {node.op!r}: TeamViewer filters users only"
                " by displayName with eq, ne, co, sw or ew"
            )

    def _case_exact(self, path: AttrPath) -> bool:
        if not self.rfc_strict:
            return True  # TeamViewer compares displayName case-sensitively
        return path.name in ("id", "externalid")

    def list_page(
        self,
        *,
        base_url: str,
        page: Page,
        filter_text: str | None,
        attributes: list[str] | None,
        excluded: list[str] | None,
    ) -> dict[str, Any]:
        offset, limit = page.window(max_page_size=self.max_page_size)
        if filter_text:
            node = parse_filter(filter_text)
            self._check_filter(node)
            hits = [
                doc
                for doc in (self.render(r, base_url) for r in self.store.list_users())
                if matches(node, doc, case_exact=self._case_exact)
            ]
            total, docs = len(hits), hits[offset : offset + limit]
        else:
            with self.store.lock:
                total = self.store.count_users()
                rows = self.store.list_users(offset=offset, limit=limit)
            docs = [self.render(r, base_url) for r in rows]
        return list_response(
            [project(d, attributes=attributes, excluded=excluded) for d in docs],
            total=total,
            # TeamViewer's documented answer echoes 0; clients must not rely on it.
            start_index=page.start if self.rfc_strict else 0,
        )

    # -- writes ------------------------------------------------------------------------
    def _claim_email(self, email: str, *, own_id: str | None = None) -> None:
        owner = self.store.email_owner(email_key(email))
        if owner is not None and owner != own_id:
            raise uniqueness(
                f"the e-mail address {email} is already registered in TeamViewer"
                + (" (an account outside this company)" if owner == "foreign" else "")
            )

    @staticmethod
    def _check_schemas(body: dict[str, Any]) -> None:
        schemas = body.get("schemas")
        if not isinstance(schemas, list) or USER_SCHEMA not in schemas:
            raise invalid_syntax(f"the body must list the schema {USER_SCHEMA} in 'schemas'")
        if SSO_SCHEMA in body and SSO_SCHEMA not in schemas:
            raise invalid_syntax(
                f"the SsoUser extension was sent: list {SSO_SCHEMA} in 'schemas' too"
            )

    @staticmethod
    def _sso(body: dict[str, Any]) -> dict[str, Any] | None:
        ext = body.get(SSO_SCHEMA)
        if ext is None:
            return None
        if not isinstance(ext, dict) or not isinstance(ext.get("ssoCustomerId"), str | None):
            raise invalid_value(f"{SSO_SCHEMA} takes an object with ssoCustomerId (a string)")
        return {"ssoCustomerId": ext.get("ssoCustomerId")}

    @staticmethod
    def _active(body: dict[str, Any], default: bool) -> bool:
        active = body.get("active", default)
        if not isinstance(active, bool):
            raise invalid_value("active must be true or false")
        return active

    def create(self, body: dict[str, Any]) -> UserRow:
        self._check_schemas(body)
        doc = self._strict_doc(body) if self.rfc_strict else self._tv_doc(body)
        for key in ("password", "preferredLanguage"):
            if key in body:
                if not isinstance(body[key], str):
                    raise invalid_value(f"{key} must be a string")
                doc[key] = body[key]
        if not self.rfc_strict:
            doc.setdefault("preferredLanguage", "en")
        sso = self._sso(body)
        if sso is not None:
            doc[SSO_SCHEMA] = sso
        with self.store.locked():
            self._claim_email(str(doc["userName"]))
            return self.store.insert_user(doc)

    def _tv_doc(self, body: dict[str, Any]) -> dict[str, Any]:
        email = body.get("userName")
        if not email:
            emails = body.get("emails") or []
            if isinstance(emails, list) and emails:
                first = sorted(
                    (e for e in emails if isinstance(e, dict)), key=lambda e: not e.get("primary")
                )
                email = first[0].get("value") if first else None
        if not isinstance(email, str) or not _EMAIL.match(email.strip()):
            raise invalid_value(
                "userName must be the user's e-mail address (TeamViewer identifies users by e-mail)"
            )
        full = _name_of(body)
        return {
            "userName": email.strip(),
            "displayName": full,
            "active": self._active(body, True),
        }

    def _strict_doc(self, body: dict[str, Any]) -> dict[str, Any]:
        user_name = body.get("userName")
        if not isinstance(user_name, str) or not user_name.strip():
            raise invalid_value("userName is required")
        doc: dict[str, Any] = {"userName": user_name, "active": self._active(body, True)}
        for key in ("displayName", "externalId", "name", "emails"):
            if body.get(key) is not None:
                doc[key] = body[key]
        self._validate_strict(doc)
        return doc

    @staticmethod
    def _validate_strict(doc: dict[str, Any]) -> None:
        if not isinstance(doc.get("userName"), str) or not doc["userName"].strip():
            raise invalid_value("userName is required and must be a non-empty string")
        for key in ("displayName", "externalId"):
            if doc.get(key) is not None and not isinstance(doc[key], str):
                raise invalid_value(f"{key} must be a string")
        if doc.get("name") is not None and not isinstance(doc["name"], dict):
            raise invalid_value("name must be an object")
        emails = doc.get("emails")
        if emails is not None and (
            not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails)
        ):
            raise invalid_value("emails must be a list of objects")
        if not isinstance(doc.get("active", True), bool):
            raise invalid_value("active must be true or false")

    def replace(self, user_id: str, body: dict[str, Any]) -> UserRow:
        self._check_schemas(body)
        with self.store.locked():
            row = self.get(user_id)
            if self.rfc_strict:
                new = self._strict_doc(body)
                for key in ("password", "preferredLanguage", SSO_SCHEMA):
                    if key in row.doc:
                        new[key] = row.doc[key]
                if email_key(new["userName"]) != email_key(row.email):
                    self._claim_email(new["userName"], own_id=row.id)
                row.doc = new
                return self.store.update_user(row)
            self._tv_immutable_email(row, body.get("userName"))
            for entry in body.get("emails") or []:
                self._tv_immutable_email(
                    row, entry.get("value") if isinstance(entry, dict) else entry
                )
            full = _name_of(body)
            row.doc = {
                **row.doc,
                "displayName": full,
                # An absent `active` keeps the current state: a PUT never deactivates by omission.
                "active": self._active(body, bool(row.doc.get("active", True))),
            }
            return self.store.update_user(row)

    @staticmethod
    def _tv_immutable_email(row: UserRow, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, str) or email_key(value) != email_key(row.email):
            raise mutability(
                "userName and the e-mail cannot be changed through provisioning; create a new"
                " user for the new address"
            )

    def patch(self, user_id: str, body: PatchOpIn) -> UserRow:
        check_envelope(body, max_operations=self.max_patch_operations, rfc_strict=self.rfc_strict)
        with self.store.locked():
            row = self.get(user_id)
            if self.rfc_strict:
                new = apply_all(USER_ATTRS, row.doc, body)
                self._validate_strict(new)
                if email_key(new["userName"]) != email_key(row.email):
                    self._claim_email(new["userName"], own_id=row.id)
                row.doc = new
            else:
                row.doc = self._tv_patch(row, body)
            return self.store.update_user(row)

    def _tv_patch(self, row: UserRow, body: PatchOpIn) -> dict[str, Any]:
        doc = dict(row.doc)
        for operation in body.operations:
            if operation.op.lower() != "replace":
                raise invalid_value(
                    f"TeamViewer supports only the 'replace' PATCH operation on users, not"
                    f" {operation.op!r}; deactivate with replace active=false"
                )
            if operation.path:
                changes = [(operation.path, operation.value)]
            elif isinstance(operation.value, dict):
                changes = list(operation.value.items())
            else:
                raise invalid_value("a replace without a path takes an object (a partial User)")
            for path_text, value in changes:
                doc = self._tv_replace(row, doc, path_text, value)
        return doc

    def _tv_replace(
        self, row: UserRow, doc: dict[str, Any], path_text: str, value: Any
    ) -> dict[str, Any]:
        path = parse_patch_path(path_text)
        attr = path.attr
        if attr.urn and attr.urn.lower() != USER_SCHEMA.lower():
            raise mutability(f"{path_text} is create-only in TeamViewer")
        if path.value_filter is not None:
            if attr.name == "emails":
                raise mutability("the e-mail cannot be changed through provisioning")
            raise invalid_path(f"value filters are not supported on {attr.name!r}")
        name, sub = attr.name, attr.sub
        if name == "schemas" and sub is None:
            return doc
        if name == "username" and sub is None:
            self._tv_immutable_email(row, value)
            return doc
        if name == "emails":
            values = value if isinstance(value, list) else [value]
            for item in values:
                self._tv_immutable_email(row, item.get("value") if isinstance(item, dict) else item)
            return doc
        if name == "active" and sub is None:
            return {**doc, "active": self._active({"active": value}, True)}
        current = str(doc.get("displayName") or "")
        given, family = split_name(current)
        if name == "displayname" and sub is None:
            full = effective_name(display_name=value, formatted=None, given=None, family=None)
        elif name == "name":
            parts = {"formatted": None, "givenname": None, "familyname": None}
            if sub is None:
                if not isinstance(value, dict):
                    raise invalid_value("name takes an object")
                for key, item in value.items():
                    if key.lower() not in parts:
                        raise invalid_path(f"unknown attribute name.{key}")
                    parts[key.lower()] = item
            elif sub in parts:
                parts[sub] = value
            else:
                raise invalid_path(f"unknown attribute name.{sub}")
            full = effective_name(
                display_name=None,
                formatted=parts["formatted"],
                given=parts["givenname"] if parts["givenname"] is not None else given,
                family=parts["familyname"] if parts["familyname"] is not None else family,
            )
        elif name in CREATE_ONLY:
            raise mutability(f"{name} is create-only in TeamViewer")
        elif name in ("id", "meta"):
            raise mutability(f"{name} is read-only")
        else:
            raise invalid_path(
                f"{path_text!r} cannot be patched; TeamViewer patches displayName, name.formatted,"
                " name.givenName, name.familyName and active"
            )
        if full is None:
            raise _name_missing()
        return {**doc, "displayName": full}

    def delete(self, user_id: str) -> None:
        if not self.rfc_strict:
            self.get(user_id)  # 404 first for unknown ids
            raise ScimError(
                405,
                "TeamViewer does not delete users through SCIM: deactivate the user with"
                ' PATCH replace {"active": false}',
                headers={"Allow": "GET, PUT, PATCH"},
            )
        if not self.store.delete_user(user_id):
            raise not_found(f"no user with id {user_id!r}")
