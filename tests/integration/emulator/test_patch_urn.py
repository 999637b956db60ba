"""The PatchOp URN: TeamViewer's public example lists `...:schemas:core:2.0:PatchOp`, its
text and RFC 7644 `...:api:messages:2.0:PatchOp`. The TeamViewer mode accepts both; the
RFC-strict mode only the standard one; the client sends the standard one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from reconcile.live.client import ScimClient
from tests.conftest import RunningEmulator
from tests.integration.emulator.helpers import (
    PATCH,
    assert_scim_error,
    client,
    create_group,
    create_user,
)

pytestmark = pytest.mark.integration

EXAMPLE_URN = "urn:ietf:params:scim:schemas:core:2.0:PatchOp"


def body(urn: str, *operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [urn], "Operations": list(operations)}


@pytest.mark.parametrize("urn", [PATCH, EXAMPLE_URN])
def test_teamviewer_mode_accepts_both_urns(emulator: RunningEmulator, urn: str) -> None:
    with client(emulator.url, emulator.token) as http:
        user = create_user(http, "urn.user@example.test", "Urn User")
        group = create_group(http, "Urn Group")
        renamed = http.patch(
            f"/Users/{user['id']}",
            json=body(urn, {"op": "replace", "path": "displayName", "value": "Urn Renamed"}),
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["displayName"] == "Urn Renamed"
        added = http.patch(
            f"/Groups/{group['id']}",
            json=body(urn, {"op": "add", "path": "members", "value": [{"value": user["id"]}]}),
        )
        assert added.status_code in {200, 204}, added.text
        members = http.get(f"/Groups/{group['id']}").json()["members"]
        assert [m["value"] for m in members] == [user["id"]]


def test_another_urn_is_refused(emulator: RunningEmulator) -> None:
    with client(emulator.url, emulator.token) as http:
        user = create_user(http, "urn.other@example.test")
        refused = http.patch(
            f"/Users/{user['id']}",
            json=body(
                "urn:ietf:params:scim:api:messages:2.0:Patch",
                {"op": "replace", "path": "active", "value": False},
            ),
        )
        assert_scim_error(refused, 400, "invalidSyntax")
        assert http.get(f"/Users/{user['id']}").json()["active"] is True


def test_rfc_strict_mode_accepts_only_the_standard_urn(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(rfc_strict=True)
    with client(emu.url, emu.token) as http:
        user = create_user(http, "urn.strict@example.test")
        operation = {"op": "replace", "path": "active", "value": False}
        refused = http.patch(f"/Users/{user['id']}", json=body(EXAMPLE_URN, operation))
        assert_scim_error(refused, 400, "invalidSyntax")
        accepted = http.patch(f"/Users/{user['id']}", json=body(PATCH, operation))
        assert accepted.status_code == 200, accepted.text


class _Capturing(httpx.AsyncHTTPTransport):
    """A real transport that keeps the PATCH bodies it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.patches: list[dict[str, object]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            self.patches.append(json.loads(request.content))
        return await super().handle_async_request(request)


def test_the_client_sends_the_standard_urn(emulator: RunningEmulator) -> None:
    transport = _Capturing()

    async def scenario() -> None:
        async with ScimClient(
            base_url=emulator.url, token=emulator.token, transport=transport
        ) as scim:
            uid = await scim.create_user(email="urn.c@example.test", display_name="C", active=True)
            await scim.update_user(user_id=uid, active=False)
            gid = await scim.create_group(name="Urn C")
            await scim.patch_group(group_id=gid, rename="Urn C2", add_ids=[uid])

    asyncio.run(scenario())
    assert len(transport.patches) == 2
    assert all(doc["schemas"] == [PATCH] for doc in transport.patches)
