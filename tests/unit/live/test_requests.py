"""Unit tests of the pure request builders (reconcile.live.requests): no I/O, no client."""

from __future__ import annotations

from typing import Any

import pytest

from reconcile.live.requests import (
    eq_filter,
    filter_literal,
    group_create,
    group_patches,
    page_params,
    user_create,
    user_update,
)
from reconcile.live.wire import PatchRequest, dump

SSO = "urn:ietf:params:scim:schemas:extension:teamviewer:1.0:SsoUser"


def ops(request: PatchRequest) -> list[dict[str, Any]]:
    operations: list[dict[str, Any]] = dump(request)["Operations"]
    return operations


def cost(request: PatchRequest) -> int:
    return sum(len(o["value"]) if o["op"] == "add" else 1 for o in ops(request))


def test_filter_literals_are_json_strings_so_quotes_cannot_end_them() -> None:
    assert filter_literal('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    assert filter_literal("Zoë") == '"Zoë"'  # not \u-escaped: services compare text
    assert eq_filter("displayName", 'x" or "1"') == 'displayName eq "x\\" or \\"1\\""'


def test_page_params_carry_a_filter_only_when_given() -> None:
    assert page_params(start_index=1, count=100, filter=None) == {"startIndex": 1, "count": 100}
    assert page_params(start_index=101, count=5, filter='a eq "b"') == {
        "startIndex": 101,
        "count": 5,
        "filter": 'a eq "b"',
    }


def test_teamviewer_user_create_carries_no_emails_and_the_sso_extension_when_set() -> None:
    body = dump(
        user_create(
            email="j@example.test",
            display_name="J D",
            active=True,
            language="de",
            sso_customer_id="c-1",
            with_emails=False,
        )
    )
    assert body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", SSO],
        "userName": "j@example.test",
        "displayName": "J D",
        "active": True,
        "preferredLanguage": "de",
        SSO: {"ssoCustomerId": "c-1"},
    }


def test_standard_user_create_carries_emails_and_formatted_name() -> None:
    body = dump(
        user_create(
            email="r@example.test",
            display_name="R S",
            active=False,
            language=None,
            sso_customer_id=None,
            with_emails=True,
        )
    )
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]
    assert body["emails"] == [{"value": "r@example.test", "primary": True, "type": "work"}]
    assert body["name"] == {"formatted": "R S"}
    assert "preferredLanguage" not in body
    assert SSO not in body


def test_user_update_is_replace_only_and_none_without_changes() -> None:
    assert user_update(display_name=None, active=None) is None
    request = user_update(display_name="New", active=False)
    assert request is not None
    assert ops(request) == [
        {"op": "replace", "path": "displayName", "value": "New"},
        {"op": "replace", "path": "active", "value": False},
    ]


def test_group_create_carries_initial_members_up_to_the_limit_sorted_and_unique() -> None:
    body, rest = group_create(name="G", member_ids=["u3", "u1", "u2", "u1"], max_operations=2)
    assert dump(body) == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "G",
        "members": [{"value": "u1"}, {"value": "u2"}],
    }
    assert rest == ["u3"]
    _, none_left = group_create(name="G", member_ids=["u1"], max_operations=2)
    assert none_left == []


def test_r19_one_group_patch_renames_then_adds_then_removes() -> None:
    [request] = group_patches(
        rename="New", add_ids=["b", "a", "b"], remove_ids=["c"], max_operations=1000
    )
    assert ops(request) == [
        {"op": "replace", "path": "displayName", "value": "New"},
        {"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]},
        {"op": "remove", "path": 'members[value eq "c"]'},
    ]


def test_no_change_is_no_patch() -> None:
    assert group_patches(rename=None, add_ids=(), remove_ids=(), max_operations=5) == []


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_r18_patches_past_the_limit_are_split_and_each_fits(limit: int) -> None:
    adds = [f"a{i}" for i in range(8)]
    removes = [f"r{i}" for i in range(4)]
    requests = group_patches(rename="H", add_ids=adds, remove_ids=removes, max_operations=limit)
    assert all(cost(r) <= limit for r in requests)
    total = 1 + len(adds) + len(removes)
    assert len(requests) == -(-total // limit)  # as few requests as the limit allows
    flat = [o for r in requests for o in ops(r)]
    # The order survives the split: rename, every add, then every removal.
    assert flat[0] == {"op": "replace", "path": "displayName", "value": "H"}
    added = [m["value"] for o in flat if o["op"] == "add" for m in o["value"]]
    assert added == adds
    removed = [o["path"] for o in flat if o["op"] == "remove"]
    assert removed == [f'members[value eq "{r}"]' for r in removes]
    assert flat.index(next(o for o in flat if o["op"] == "remove")) > max(
        i for i, o in enumerate(flat) if o["op"] == "add"
    )
