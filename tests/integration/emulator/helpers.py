"""Small builders for SCIM request bodies used by the emulator tests."""

from __future__ import annotations

from typing import Any

import httpx

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SSO = "urn:ietf:params:scim:schemas:extension:teamviewer:1.0:SsoUser"


def client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def user_body(email: str, name: str | None = "Test User", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [USER], "userName": email, **extra}
    if name is not None:
        body["displayName"] = name
    return body


def create_user(http: httpx.Client, email: str, name: str = "Test User", **extra: Any) -> Any:
    r = http.post("/Users", json=user_body(email, name, **extra))
    assert r.status_code == 201, r.text
    return r.json()


def create_group(http: httpx.Client, name: str, member_ids: list[str] = []) -> Any:  # noqa: B006  (never mutated)
    r = http.post(
        "/Groups",
        json={
            "schemas": [GROUP],
            "displayName": name,
            "members": [{"value": m} for m in member_ids],
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def assert_scim_error(
    response: httpx.Response, status: int, scim_type: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body: dict[str, Any] = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    assert body.get("detail")
    return body
