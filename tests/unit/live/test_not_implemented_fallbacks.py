"""The rfc7644 profile's answer to 501 Not Implemented (django-scim2's PATCH forms).

Only rfc7644 retries in the other standard form, only after a 501, and remembers it for
the run; teamviewer never does (its forms are known to work).
"""

from __future__ import annotations

import asyncio

import pytest

from reconcile.live.client import ScimClient
from reconcile.live.errors import ServerError
from reconcile.live.profiles import Profile, split_name
from reconcile.live.retry import RetryPolicy
from tests.unit.live.fakes import FakeScim, answer

BASE = "https://scim.example.test/scim/v2"
FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002, total_time=5.0)


def rename_twice(fake: FakeScim, profile: Profile, first: str, second: str) -> None:
    async def main() -> None:
        async with ScimClient(
            base_url=BASE, token="t", transport=fake.transport(), profile=profile, retry=FAST
        ) as client:
            await client.update_user(user_id=first, display_name="Ann Marie Lee", active=False)
            await client.update_user(user_id=second, display_name="Bo Chen")

    asyncio.run(main())


def test_rfc7644_retries_a_501_rename_as_name_parts_and_remembers() -> None:
    fake = FakeScim()
    first, second = fake.add_user("a@x.test", "A"), fake.add_user("b@x.test", "B")
    fake.script.append(answer(501))
    rename_twice(fake, Profile.RFC7644, first, second)
    patches = fake.requests("PATCH")
    assert len(patches) == 3  # the 501, its retry, the second rename sent in the new form
    paths = [[op["path"] for op in p.body["Operations"]] for p in patches]
    assert paths[0] == ["displayName", "active"]
    assert paths[1] == ["name.givenName", "name.familyName", "active"]
    assert paths[2] == ["name.givenName", "name.familyName"]
    values = [op["value"] for op in patches[1].body["Operations"]]
    assert values == ["Ann", "Marie Lee", False]


def test_teamviewer_never_falls_back() -> None:
    fake = FakeScim()
    first, second = fake.add_user("a@x.test", "A"), fake.add_user("b@x.test", "B")
    fake.script.append(answer(501))
    with pytest.raises(ServerError):
        rename_twice(fake, Profile.TEAMVIEWER, first, second)
    assert len(fake.requests("PATCH")) == 1


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Ann Lee", ("Ann", "Lee")),
        ("Mary Ann Smith", ("Mary", "Ann Smith")),
        ("Cher", ("Cher", "")),
    ],
)
def test_split_name_like_teamviewer(name: str, parts: tuple[str, str]) -> None:
    assert split_name(name) == parts
