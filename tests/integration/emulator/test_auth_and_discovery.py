"""Auth (issue 3 item 3) and discovery documents (item 1) over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import RunningEmulator
from tests.integration.emulator.helpers import (
    SSO,
    USER,
    assert_scim_error,
    client,
    user_body,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ],
)
def test_missing_or_wrong_token_is_401(emulator: RunningEmulator, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=emulator.url, headers=headers) as http:
        for response in (http.get("/Users"), http.post("/Users", json=user_body("a@example.test"))):
            body = assert_scim_error(response, 401)
            assert emulator.token not in body["detail"]
        assert_scim_error(http.get("/ServiceProviderConfig"), 401)
    assert emulator.control.state()["users"] == []


def test_read_only_token_reads_but_cannot_write(emulator: RunningEmulator) -> None:
    with client(emulator.url, emulator.token) as writer:
        uid = writer.post("/Users", json=user_body("w@example.test")).json()["id"]
    with client(emulator.url, emulator.read_token) as reader:
        assert reader.get("/Users").status_code == 200
        assert reader.get(f"/Users/{uid}").status_code == 200
        assert_scim_error(reader.post("/Users", json=user_body("r@example.test")), 403)
        off = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        }
        assert_scim_error(reader.patch(f"/Users/{uid}", json=off), 403)
        assert_scim_error(reader.put(f"/Users/{uid}", json=user_body("w@example.test")), 403)
        assert_scim_error(reader.delete("/Groups/g1"), 403)
        # the control API needs the write scope too
        assert reader.post(f"{emulator.origin}/_emulator/reset").status_code == 403
        assert reader.get(f"{emulator.origin}/_emulator/state").status_code == 403
    with httpx.Client() as anonymous:
        assert anonymous.get(f"{emulator.origin}/_emulator/state").status_code == 401
    (user,) = emulator.control.state()["users"]
    assert user["active"] is True


def test_service_provider_config_describes_what_is_supported(emulator: RunningEmulator) -> None:
    with client(emulator.url, emulator.read_token) as http:
        spc = http.get("/ServiceProviderConfig").json()
    assert spc["patch"] == {"supported": True}
    assert spc["bulk"]["supported"] is False
    assert spc["etag"] == {"supported": False}
    assert spc["sort"] == {"supported": False}
    assert spc["changePassword"] == {"supported": False}
    assert spc["filter"] == {"supported": True, "maxResults": emulator.config.max_page_size}
    assert spc["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_resource_types_and_schemas(emulator: RunningEmulator) -> None:
    with client(emulator.url, emulator.read_token) as http:
        types = http.get("/ResourceTypes").json()
        schemas = http.get("/Schemas").json()
        user_schema = http.get(f"/Schemas/{USER}").json()
        assert_scim_error(http.get("/Schemas/urn:nope"), 404)
    assert {t["id"]: t["endpoint"] for t in types["Resources"]} == {
        "User": "/Users",
        "Group": "/Groups",
    }
    assert types["Resources"][0]["schemaExtensions"] == [{"schema": SSO, "required": False}]
    assert {s["id"] for s in schemas["Resources"]} == {
        USER,
        SSO,
        "urn:ietf:params:scim:schemas:core:2.0:Group",
    }
    attrs = {a["name"]: a for a in user_schema["attributes"]}
    assert attrs["userName"]["mutability"] == "immutable"
    assert attrs["password"]["returned"] == "never"
    assert attrs["preferredLanguage"]["returned"] == "never"


def test_unknown_paths_and_methods_are_scim_errors(emulator: RunningEmulator) -> None:
    with client(emulator.url, emulator.token) as http:
        assert_scim_error(http.get("/Nope"), 404)
        assert_scim_error(http.get(f"{emulator.origin}/elsewhere"), 404)
        r = http.put("/Users", json={})
        assert_scim_error(r, 405)
        assert "GET" in r.headers["allow"]
        assert_scim_error(http.post("/.search", json={}), 501)
