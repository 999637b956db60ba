"""The request builders' rfc7644 forms (reconcile.live.requests): what discovery and the
501 fallbacks change in a body. Pure: no I/O, no client."""

from __future__ import annotations

from typing import Any

import pytest

from reconcile.live.requests import (
    group_patches_by_value,
    group_replace,
    user_create,
    user_update_by_name_parts,
)
from reconcile.live.wire import PatchRequest, dump

SSO = "urn:ietf:params:scim:schemas:extension:teamviewer:1.0:SsoUser"


def ops(request: PatchRequest) -> list[dict[str, Any]]:
    operations: list[dict[str, Any]] = dump(request)["Operations"]
    return operations


def create(**changes: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "email": "r@example.test",
        "display_name": "Ann Marie Lee",
        "active": True,
        "language": None,
        "sso_customer_id": "c-1",
        "with_emails": True,
    }
    return dump(user_create(**{**options, **changes}))


def test_the_sso_extension_is_left_out_when_the_service_does_not_list_it() -> None:
    without = create(sso_extension=False)
    assert without["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]
    assert SSO not in without
    listed = create(sso_extension=True)
    assert listed[SSO] == {"ssoCustomerId": "c-1"}


def test_name_parts_split_like_teamviewer_beside_the_formatted_name() -> None:
    assert create(name_parts=True)["name"] == {
        "formatted": "Ann Marie Lee",
        "givenName": "Ann",
        "familyName": "Marie Lee",
    }
    assert create(name_parts=True, display_name="Cher")["name"] == {
        "formatted": "Cher",
        "givenName": "Cher",
    }
    assert "name" not in create(name_parts=True, with_emails=False)


def test_a_rename_as_name_parts_keeps_the_active_change() -> None:
    assert ops(user_update_by_name_parts(display_name="Bo Chen-Wu", active=False)) == [
        {"op": "replace", "path": "name.givenName", "value": "Bo"},
        {"op": "replace", "path": "name.familyName", "value": "Chen-Wu"},
        {"op": "replace", "path": "active", "value": False},
    ]
    assert len(ops(user_update_by_name_parts(display_name="Bo Chen", active=None))) == 2


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_value_list_removals_follow_the_adds_and_each_request_fits(limit: int) -> None:
    requests = group_patches_by_value(
        add_ids=["a2", "a1", "a2"], remove_ids=["r3", "r1", "r2", "r1"], max_operations=limit
    )
    flat = [o for r in requests for o in ops(r)]
    added = [m["value"] for o in flat if o["op"] == "add" for m in o["value"]]
    removed = [m["value"] for o in flat if o["op"] == "remove" for m in o["value"]]
    assert (added, removed) == (["a1", "a2"], ["r1", "r2", "r3"])
    assert all(o["path"] == "members" for o in flat)  # never the filtered form
    assert all(sum(len(o["value"]) for o in ops(r)) <= limit for r in requests)
    first_removal = next(i for i, o in enumerate(flat) if o["op"] == "remove")
    assert all(o["op"] == "remove" for o in flat[first_removal:])


def test_no_member_change_is_no_value_list_request() -> None:
    assert group_patches_by_value(add_ids=(), remove_ids=(), max_operations=3) == []


def test_a_group_replace_carries_the_new_name_and_the_members_as_they_are() -> None:
    assert dump(group_replace(name="Customer Support", member_ids={"u2", "u1"})) == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Customer Support",
        "members": [{"value": "u1"}, {"value": "u2"}],
    }
