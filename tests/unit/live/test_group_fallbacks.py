"""The rfc7644 profile's group requests for a service like django-scim2: a 501 to the
filtered removal or the rename is answered in the other form (value lists, a PUT), and
remembered; members a create dropped follow in a PATCH; `patch.supported: false` stops an
update before any request. teamviewer never changes form."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import httpx
import pytest

from reconcile.live.client import ScimClient
from reconcile.live.discovery import STANDARD_FACTS
from reconcile.live.errors import ConfigurationError, ServerError
from reconcile.live.profiles import Profile
from reconcile.live.retry import RetryPolicy
from tests.unit.live.fakes import FakeScim, Fault, answer, passthrough, render

BASE = "https://scim.example.test/scim/v2"
FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002, total_time=5.0)
T = TypeVar("T")


def run(fake: FakeScim, profile: Profile, action: Callable[[ScimClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with ScimClient(
            base_url=BASE, token="t", transport=fake.transport(), profile=profile, retry=FAST
        ) as client:
            return await action(client)

    return asyncio.run(main())


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={})


def operations(fake: FakeScim) -> list[list[dict[str, Any]]]:
    return [s.body["Operations"] for s in fake.requests("PATCH")]


def test_rfc7644_sends_a_group_change_as_value_lists_and_a_put_after_a_501() -> None:
    fake = FakeScim()
    gid = fake.add_group("Support", ["u1", "u2"])

    def read(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=render(fake.groups[gid]))

    # The 501, the value-list add (served), its removal, the GET, the PUT.
    script: list[Fault] = [answer(501), passthrough, ok, read, ok]
    # The second change goes straight to the other form: its removal only.
    fake.script = [*script, ok]

    async def change(client: ScimClient) -> tuple[int, int]:
        first = await client.patch_group(
            group_id=gid, rename="Customer Support", add_ids=["u3"], remove_ids=["u1"]
        )
        second = await client.patch_group(group_id=gid, remove_ids=["u2"])
        return first, second

    assert run(fake, Profile.RFC7644, change) == (3, 1)
    sent = operations(fake)
    assert [o["path"] for o in sent[0]] == ["displayName", "members", 'members[value eq "u1"]']
    assert sent[1] == [{"op": "add", "path": "members", "value": [{"value": "u3"}]}]
    assert sent[2] == [{"op": "remove", "path": "members", "value": [{"value": "u1"}]}]
    assert sent[3] == [{"op": "remove", "path": "members", "value": [{"value": "u2"}]}]
    [put] = fake.requests("PUT")
    # The group as it was read just before (u3 added by the value-list add; u1 still
    # there because the scripted removal did not change the fake).
    assert put.body["displayName"] == "Customer Support"
    assert put.body["members"] == [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}]


def test_teamviewer_never_changes_the_form_of_a_group_change() -> None:
    fake = FakeScim()
    gid = fake.add_group("Support", ["u1"])
    fake.script = [answer(501)]
    with pytest.raises(ServerError):
        run(fake, Profile.TEAMVIEWER, lambda c: c.patch_group(group_id=gid, remove_ids=["u1"]))
    assert len(fake.requests("PATCH")) == 1
    assert fake.requests("PUT") == []


@pytest.mark.parametrize(("profile", "follow_up"), [(Profile.RFC7644, 1), (Profile.TEAMVIEWER, 0)])
def test_members_a_group_create_dropped_follow_in_a_patch_on_rfc7644(
    profile: Profile, follow_up: int
) -> None:
    fake = FakeScim()

    def dropped_members(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"id": "g9", "displayName": "Eng", "members": []})

    fake.script = [dropped_members, ok]
    gid = run(fake, profile, lambda c: c.create_group(name="Eng", member_ids=["u2", "u1"]))
    assert gid == "g9"
    patches = fake.requests("PATCH", "/Groups/g9")
    assert len(patches) == follow_up
    if patches:
        assert patches[0].body["Operations"] == [
            {"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}
        ]


def test_a_group_create_that_echoes_its_members_costs_no_more_requests() -> None:
    fake = FakeScim()
    gid = run(fake, Profile.RFC7644, lambda c: c.create_group(name="Eng", member_ids=["u1"]))
    assert fake.groups[gid]["members"] == ["u1"]
    assert [s.method for s in fake.seen] == ["POST"]


def test_a_service_without_patch_gets_a_clear_error_before_any_update() -> None:
    fake = FakeScim()
    uid = fake.add_user("a@x.test", "A")
    gid = fake.add_group("G", [])

    async def update(client: ScimClient) -> None:
        client.use_facts(replace(STANDARD_FACTS, patch_supported=False, discovered=True))
        with pytest.raises(ConfigurationError, match="does not support PATCH"):
            await client.update_user(user_id=uid, active=False)
        with pytest.raises(ConfigurationError, match=r"patch\.supported is false"):
            await client.patch_group(group_id=gid, add_ids=[uid])
        assert await client.patch_group(group_id=gid) == 0  # nothing to change: no error

    run(fake, Profile.RFC7644, update)
    assert fake.seen == []
