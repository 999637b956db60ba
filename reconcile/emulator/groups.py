"""/Groups per RFC 7643/7644 (TeamViewer's groups follow the RFC in both modes).

Members are users only, referenced by id; an unknown id is a 400. A PATCH costs one
operation per member value (plus one per other operation) against the configured
maximum, because member changes are what a large reconciliation sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconcile.emulator.errors import (
    ScimError,
    invalid_path,
    invalid_syntax,
    invalid_value,
    mutability,
    not_found,
)
from reconcile.emulator.filters import (
    AttrPath,
    matches,
    parse_filter,
    parse_patch_path,
)
from reconcile.emulator.listing import Page, list_response, project
from reconcile.emulator.patch import check_envelope
from reconcile.emulator.store import GroupRow, Store
from reconcile.emulator.wire import GROUP_SCHEMA, PatchOpIn


def _member_ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        ident = item.get("value") if isinstance(item, dict) else None
        if not isinstance(ident, str) or not ident:
            raise invalid_value('members take objects with a "value" holding a user id')
        out.append(ident)
    return out


def _cost(body: PatchOpIn) -> int:
    total = 0
    for operation in body.operations:
        value = operation.value
        if isinstance(value, dict) and not operation.path:
            value = next((v for k, v in value.items() if k.lower() == "members"), None)
        total += max(1, len(value)) if isinstance(value, list) else 1
    return total


@dataclass(slots=True)
class Groups:
    store: Store
    rfc_strict: bool
    max_page_size: int
    max_patch_operations: int
    max_create_members: int | None = None

    def render(
        self, group: GroupRow, base_url: str, *, names: Mapping[str, str | None] | None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": group.id}
        if group.external_id is not None:
            out["externalId"] = group.external_id
        out["displayName"] = group.display_name
        if names is not None and self.rfc_strict:
            out["members"] = [
                {"value": uid, "$ref": f"{base_url}/Users/{uid}", "display": names.get(uid)}
                for uid in group.members
            ]
        elif names is not None:  # TeamViewer documents members as {value, display}
            out["members"] = [{"value": uid, "display": names.get(uid)} for uid in group.members]
        out["meta"] = {
            "resourceType": "Group",
            "created": group.created,
            "lastModified": group.modified,
            "location": f"{base_url}/Groups/{group.id}",
        }
        return out

    def render_one(self, group: GroupRow, base_url: str) -> dict[str, Any]:
        return self.render(group, base_url, names=self.store.user_names(group.members))

    def get(self, group_id: str, *, with_members: bool = True) -> GroupRow:
        group = self.store.get_group(group_id, with_members=with_members)
        if group is None:
            raise not_found(f"no group with id {group_id!r}")
        return group

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
        want_members = _wants_members(attributes, excluded)
        if filter_text:
            node = parse_filter(filter_text)
            groups = self.store.list_groups(with_members=True)
            docs = []
            for g in groups:
                doc = self.render(g, base_url, names={})
                if matches(node, doc, case_exact=_case_exact):
                    docs.append(g)
            total, page_groups = len(docs), docs[offset : offset + limit]
            names: Mapping[str, str | None] | None = (
                self.store.user_names(uid for g in page_groups for uid in g.members)
                if want_members
                else None
            )
        else:
            with self.store.lock:
                total = self.store.count_groups()
                page_groups = self.store.list_groups(
                    offset=offset, limit=limit, with_members=want_members
                )
                names = self.store.display_names() if want_members else None
        return list_response(
            [
                project(
                    self.render(g, base_url, names=names), attributes=attributes, excluded=excluded
                )
                for g in page_groups
            ],
            total=total,
            start_index=page.start if self.rfc_strict else 0,
        )

    # -- writes ------------------------------------------------------------------------
    @staticmethod
    def _check_schemas(body: dict[str, Any]) -> None:
        schemas = body.get("schemas")
        if not isinstance(schemas, list) or GROUP_SCHEMA not in schemas:
            raise invalid_syntax(f"the body must list the schema {GROUP_SCHEMA} in 'schemas'")

    @staticmethod
    def _name(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise invalid_value("displayName is required and must be a non-empty string")
        return value

    def _check_members(self, ids: list[str]) -> None:
        # One look-up for all ids: inside the comprehension it ran once per member, a
        # query of every member each time (quadratic: 150 ms for a PATCH of a 100-member group).
        existing = self.store.existing_user_ids(ids)
        missing = [i for i in dict.fromkeys(ids) if i not in existing]
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise invalid_value(f"members must be existing user ids; unknown: {shown}")

    def _check_size(self, members: list[str], *, verb: str) -> None:
        limit = self.max_create_members
        if limit is not None and len(members) > limit:
            raise ScimError(
                413,
                f"this group {verb} carries {len(members)} members; the limit is {limit} per"
                " request: send the rest with PATCH",
            )

    def create(self, body: dict[str, Any]) -> GroupRow:
        self._check_schemas(body)
        name = self._name(body.get("displayName"))
        members = _member_ids(body.get("members") or [])
        self._check_size(members, verb="create")
        external = body.get("externalId")
        if external is not None and not isinstance(external, str):
            raise invalid_value("externalId must be a string")
        with self.store.locked():
            self._check_members(members)
            return self.store.insert_group(display_name=name, external_id=external, members=members)

    def replace(self, group_id: str, body: dict[str, Any]) -> GroupRow:
        self._check_schemas(body)
        name = self._name(body.get("displayName"))
        members = _member_ids(body.get("members") or [])
        self._check_size(members, verb="replace")
        with self.store.locked():
            group = self.get(group_id)
            self._check_members(members)
            old = list(group.members)
            group.display_name = name
            if "externalId" in body:
                group.external_id = body["externalId"]
            group.members = members
            return self.store.update_group(group, old_members=old)

    def patch(self, group_id: str, body: PatchOpIn) -> GroupRow:
        check_envelope(
            body,
            max_operations=self.max_patch_operations,
            rfc_strict=self.rfc_strict,
            cost=_cost(body),
        )
        with self.store.locked():
            group = self.get(group_id)
            old = list(group.members)
            for operation in body.operations:
                self._apply(group, operation.op.lower(), operation.path, operation.value)
            self._check_members(group.members)
            return self.store.update_group(group, old_members=old)

    def _apply(self, group: GroupRow, op: str, path_text: str | None, value: Any) -> None:
        if op not in ("add", "remove", "replace"):
            raise invalid_value(f"unknown PATCH op {op!r}; use add, remove or replace")
        if not path_text:
            if op == "remove":
                raise ScimError(400, "a remove operation needs a path", scim_type="noTarget")
            if not isinstance(value, dict):
                raise invalid_value("an operation without a path takes an object as value")
            for key, item in value.items():
                if key.lower() != "schemas":
                    self._apply(group, op, key, item)
            return
        path = parse_patch_path(path_text)
        attr = path.attr
        if attr.urn and attr.urn.lower() != GROUP_SCHEMA.lower():
            raise invalid_path(f"unknown schema {attr.urn!r}")
        if attr.name == "displayname" and attr.sub is None and path.value_filter is None:
            if op == "remove":
                raise mutability("displayName is required and cannot be removed")
            group.display_name = self._name(value)
        elif attr.name == "externalid" and attr.sub is None and path.value_filter is None:
            group.external_id = None if op == "remove" else value
        elif attr.name == "members":
            self._members(group, op, path_text, path.value_filter is not None, value)
        elif attr.name in ("id", "meta"):
            raise mutability(f"{attr.name} is read-only")
        else:
            raise invalid_path(f"{path_text!r} is not a patchable Group attribute")

    @staticmethod
    def _members(group: GroupRow, op: str, path_text: str, filtered: bool, value: Any) -> None:
        if filtered:
            path = parse_patch_path(path_text)
            assert path.value_filter is not None
            node = path.value_filter
            hits = [m for m in group.members if matches(node, {"value": m}, case_exact=_case_exact)]
            if op != "remove":
                raise invalid_path(
                    "members[...] paths support only remove; add the new value instead"
                )
            group.members = [m for m in group.members if m not in set(hits)]
            return
        if op == "add":
            ids = _member_ids(value)
            group.members = group.members + [
                i for i in dict.fromkeys(ids) if i not in group.members
            ]
        elif op == "replace":
            group.members = list(dict.fromkeys(_member_ids(value or [])))
        elif value is None:
            group.members = []
        else:
            # Widely used extension (Azure AD, Okta): remove the listed values.
            drop = set(_member_ids(value))
            group.members = [m for m in group.members if m not in drop]

    def delete(self, group_id: str) -> None:
        if not self.store.delete_group(group_id):
            raise not_found(f"no group with id {group_id!r}")


def _case_exact(path: AttrPath) -> bool:
    return path.name in ("id", "externalid", "value") or path.sub == "value"


def _wants_members(attributes: list[str] | None, excluded: list[str] | None) -> bool:
    def short(n: str) -> str:
        return n.lower().rsplit(":", 1)[-1].split(".", 1)[0]

    if attributes:
        return any(short(a) == "members" for a in attributes)
    if excluded:
        return not any(n.lower().rsplit(":", 1)[-1] == "members" for n in excluded)
    return True
