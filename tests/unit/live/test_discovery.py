"""Unit tests of reconcile.live.discovery: the facts read from the discovery documents."""

from __future__ import annotations

from typing import Any

import pytest

from reconcile.live.discovery import STANDARD_FACTS, TEAMVIEWER_FACTS, parse_facts
from reconcile.live.wire import SSO_SCHEMA

CONFIG = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    "patch": {"supported": True},
    "filter": {"supported": True, "maxResults": 200},
}


def user_type(*extensions: str) -> dict[str, Any]:
    return {
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
        "schemaExtensions": [{"schema": e, "required": False} for e in extensions],
    }


def listed(*types: dict[str, Any]) -> dict[str, Any]:
    return {"totalResults": len(types), "Resources": list(types)}


def test_the_sso_extension_is_used_only_when_the_user_type_lists_it() -> None:
    with_sso = parse_facts(
        service_provider_config=CONFIG, resource_types=listed(user_type(SSO_SCHEMA))
    )
    enterprise = parse_facts(
        service_provider_config=CONFIG,
        resource_types=listed(
            user_type("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        ),
    )
    assert (with_sso.sso_extension, enterprise.sso_extension) == (True, False)
    assert with_sso.discovered


def test_a_bare_list_of_resource_types_is_read_too() -> None:
    facts = parse_facts(
        service_provider_config=CONFIG, resource_types=[user_type(SSO_SCHEMA.upper())]
    )
    assert facts.sso_extension


def test_filter_patch_and_page_cap() -> None:
    facts = parse_facts(
        service_provider_config={
            "patch": {"supported": False},
            "filter": {"supported": False, "maxResults": 50},
        },
        resource_types=listed(),
    )
    assert (facts.filter_supported, facts.patch_supported, facts.max_results) == (False, False, 50)


@pytest.mark.parametrize(
    "config",
    [
        None,
        [],
        {},
        {"filter": "yes", "patch": 1},
        {"filter": {"maxResults": 0}},
        {"filter": {"maxResults": True}},
    ],
)
def test_unreadable_parts_keep_the_standard_assumption(config: Any) -> None:
    facts = parse_facts(service_provider_config=config, resource_types={"Resources": "none"})
    assert (facts.filter_supported, facts.patch_supported, facts.max_results) == (True, True, None)
    assert facts.sso_extension is False


def test_known_facts_need_no_discovery() -> None:
    assert TEAMVIEWER_FACTS.sso_extension
    assert not TEAMVIEWER_FACTS.discovered
    assert not STANDARD_FACTS.sso_extension
