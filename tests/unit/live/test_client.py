"""Unit tests of reconcile.live.client against an in-memory fake behind httpx.MockTransport."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import pytest

from reconcile.live.client import PatchLimits, RequestRecord, ScimClient
from reconcile.live.errors import (
    ConfigurationError,
    Conflict,
    Forbidden,
    ForeignAccountConflict,
    NotFound,
    RateLimited,
    ScimError,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedResponseError,
    UnknownOutcomeError,
)
from reconcile.live.profiles import Profile
from reconcile.live.retry import RetryPolicy
from tests.unit.live.fakes import FakeScim, answer, drop, passthrough, refuse, timeout

TOKEN = "TKN-unit-7d1c0ffee-SECRET"
BASE = "https://scim.example.test/scim/v2"
FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.005, total_time=10.0)
T = TypeVar("T")


def make(fake: FakeScim, **kwargs: object) -> ScimClient:
    options: dict[str, object] = {"retry": FAST, "profile": Profile.TEAMVIEWER}
    options.update(kwargs)
    return ScimClient(base_url=BASE, token=TOKEN, transport=fake.transport(), **options)  # type: ignore[arg-type]  # test helper forwards keywords


def run(fake: FakeScim, action: Callable[[ScimClient], Awaitable[T]], **kwargs: object) -> T:
    async def main() -> T:
        async with make(fake, **kwargs) as client:
            return await action(client)

    return asyncio.run(main())


# --- configuration and secrecy ---------------------------------------------------------


def test_plain_http_to_a_remote_host_is_refused_before_any_request() -> None:
    with pytest.raises(ConfigurationError, match="plain HTTP"):
        ScimClient(base_url="http://scim.example.test/scim/v2", token=TOKEN)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_plain_http_to_loopback_is_allowed(host: str) -> None:
    client = ScimClient(base_url=f"http://{host}:8080/scim/v2", token=TOKEN)
    assert client.label.startswith("http://")


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigurationError) as info:
        ScimClient(base_url="https://admin:hunter2@scim.example.test/scim/v2", token=TOKEN)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("bad", ["", "two words", "line\nbreak"])
def test_an_unusable_token_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        ScimClient(base_url=BASE, token=bad)
    if bad:
        assert bad not in str(info.value)


def test_the_token_is_sent_as_bearer_with_scim_media_types_and_never_shown() -> None:
    fake = FakeScim()
    fake.add_user("a@example.test", "A")
    client = make(fake)
    assert TOKEN not in repr(client)
    assert TOKEN not in str(vars(client))
    run(fake, lambda c: c.update_user(user_id=next(iter(fake.users)), active=False))
    seen = fake.seen[0]
    assert seen.authorization == f"Bearer {TOKEN}"
    assert seen.content_type == "application/scim+json"
    assert seen.accept == "application/scim+json"


def test_errors_never_carry_the_token() -> None:
    fake = FakeScim()
    fake.script = [answer(401)]
    with pytest.raises(Unauthorized) as info:
        run(fake, lambda c: c.list_users())
    text = str(info.value) + repr(info.value)
    assert TOKEN not in text
    assert "TEAMVIEWER_TOKEN" in text  # says what to do


def test_a_redirect_is_never_followed() -> None:
    fake = FakeScim()
    fake.script = [
        lambda r: httpx.Response(302, headers={"Location": "https://evil.example/steal?code=zz9"})
    ]
    with pytest.raises(UnexpectedResponseError, match=r"evil\.example") as info:
        run(fake, lambda c: c.list_users())
    assert "zz9" not in str(info.value)
    assert len(fake.seen) == 1


# --- error mapping ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, Unauthorized), (403, Forbidden), (404, NotFound), (409, Conflict), (500, ServerError)],
)
def test_error_statuses_become_typed_errors_without_retry(
    status: int, error: type[ScimError]
) -> None:
    fake = FakeScim()
    fake.add_group("G", [])
    fake.script = [answer(status)]
    with pytest.raises(error) as info:
        run(fake, lambda c: c.patch_group(group_id=next(iter(fake.groups)), rename="H"))
    assert info.value.status == status
    assert info.value.detail == "injected"
    assert len(fake.seen) == 1


# --- retries ---------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [answer(502), answer(503), answer(504), drop, timeout, refuse])
def test_idempotent_requests_are_retried_after_transient_failures(fault: object) -> None:
    fake = FakeScim()
    uid = fake.add_user("a@example.test", "A")
    fake.script = [fault, fault]  # type: ignore[list-item]  # parametrized fault
    run(fake, lambda c: c.update_user(user_id=uid, display_name="B"))
    assert len(fake.seen) == 3
    assert fake.users[uid]["displayName"] == "B"


def test_attempts_are_bounded() -> None:
    fake = FakeScim()
    fake.script = [answer(503)] * 10
    with pytest.raises(ServerError, match="503"):
        run(fake, lambda c: c.list_users())
    assert len(fake.seen) == FAST.max_attempts


def test_a_dropped_connection_that_never_recovers_is_a_transport_error() -> None:
    fake = FakeScim()
    fake.script = [drop] * 10
    with pytest.raises(TransportError, match="dropped"):
        run(fake, lambda c: c.list_users())
    assert len(fake.seen) == FAST.max_attempts


def test_total_time_is_bounded() -> None:
    fake = FakeScim()
    fake.script = [answer(429, Retry_After="30")]
    policy = RetryPolicy(max_attempts=10, base_delay=0.001, total_time=1.0)
    with pytest.raises(RateLimited) as info:
        run(fake, lambda c: c.list_users(), retry=policy)
    assert info.value.retry_after == 30.0
    assert len(fake.seen) == 1  # a wait past the budget is not started


def test_retry_after_window_is_honoured_by_every_concurrent_request() -> None:
    fake = FakeScim()
    uids = [fake.add_user(f"u{i}@example.test", f"U {i}") for i in range(6)]
    fake.script = [answer(429, Retry_After="0.3")]

    async def action(client: ScimClient) -> None:
        await asyncio.gather(*(client.update_user(user_id=u, active=False) for u in uids))

    run(fake, action, max_concurrency=1)
    refused_at = fake.seen[0].at
    later = fake.seen[1:]
    assert len(later) == 6  # the refused one again + the five others
    assert all(s.at >= refused_at + 0.3 for s in later)
    assert all(not u["active"] for u in fake.users.values())


def test_a_429_lowers_the_client_rate() -> None:
    fake = FakeScim()
    uid = fake.add_user("a@example.test", "A")
    fake.script = [answer(429, Retry_After="0")]

    async def action(client: ScimClient) -> float | None:
        await client.update_user(user_id=uid, active=False)
        return client.limiter.rate

    assert run(fake, action, rate_limit_rps=40.0) == pytest.approx(20.0 + 40.0 / 20)


# --- creates (R17) ---------------------------------------------------------------------


def test_create_returns_the_new_id_with_one_request() -> None:
    fake = FakeScim()
    new_id = run(
        fake, lambda c: c.create_user(email="new@example.test", display_name="New", active=True)
    )
    assert fake.users[new_id]["userName"] == "new@example.test"
    assert [s.method for s in fake.seen] == ["POST"]
    body = fake.seen[0].body
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]
    assert "emails" not in body  # teamviewer shape: userName carries the address


def test_create_sends_language_and_sso_extension_on_create() -> None:
    fake = FakeScim()
    run(
        fake,
        lambda c: c.create_user(
            email="s@example.test",
            display_name="S",
            active=True,
            language="de",
            sso_customer_id="cust-1",
        ),
    )
    body = fake.seen[0].body
    ext = "urn:ietf:params:scim:schemas:extension:teamviewer:1.0:SsoUser"
    assert ext in body["schemas"]
    assert body[ext] == {"ssoCustomerId": "cust-1"}
    assert body["preferredLanguage"] == "de"


def test_r17_a_dropped_create_that_landed_is_settled_by_a_lookup_not_a_second_post() -> None:
    fake = FakeScim()
    fake.after_write = [drop]  # committed, then the answer is lost
    new_id = run(
        fake, lambda c: c.create_user(email="Jane@Example.test", display_name="Jane D", active=True)
    )
    assert fake.users[new_id]["userName"] == "Jane@Example.test"
    assert len(fake.requests("POST")) == 1
    lookups = fake.requests("GET")
    # teamviewer profile: never an e-mail filter, the display name instead
    assert lookups[0].params["filter"] == 'displayName eq "Jane D"'
    assert all("userName" not in s.params.get("filter", "") for s in lookups)


def test_r17_a_dropped_create_that_did_not_land_is_sent_again() -> None:
    fake = FakeScim()
    fake.add_user("other@example.test", "Jane D")  # same name, other address: not a match
    fake.script = [drop]  # lost before the service acted
    new_id = run(
        fake, lambda c: c.create_user(email="jane@example.test", display_name="Jane D", active=True)
    )
    assert fake.users[new_id]["userName"] == "jane@example.test"
    assert len(fake.requests("POST")) == 2
    assert len(fake.users) == 2
    # The filter answered with only the namesake: our create would carry our exact name,
    # so that answer settles it without a full listing (which fails under churn).
    assert [s.params.get("filter") for s in fake.requests("GET")] == ['displayName eq "Jane D"']


def test_r17_a_409_after_our_own_lost_attempt_counts_as_done() -> None:
    fake = FakeScim()
    uid_box: list[str] = []

    def late_landing(request: httpx.Request) -> httpx.Response | None:
        # the first POST timed out, the look-up saw nothing, then the POST landed
        uid_box.append(fake.add_user("late@example.test", "Late"))
        return None

    fake.script = [timeout, passthrough, late_landing]
    # 1 POST (timeout), 2 GET filter (nothing), 3 POST -> 409, then the exhaustive look-up
    new_id = run(
        fake, lambda c: c.create_user(email="late@example.test", display_name="Late", active=True)
    )
    assert new_id == uid_box[0]
    assert len(fake.users) == 1
    assert len(fake.requests("POST")) == 2


def test_r17_a_409_for_an_address_outside_the_company_is_a_foreign_conflict() -> None:
    fake = FakeScim()
    fake.foreign.add("taken@example.test")
    with pytest.raises(ForeignAccountConflict) as info:
        run(
            fake,
            lambda c: c.create_user(email="taken@example.test", display_name="T", active=True),
        )
    assert "outside the company" in str(info.value)
    assert info.value.status == 409
    assert len(fake.requests("POST")) == 1


def test_a_409_for_a_user_already_in_the_company_asks_for_a_new_plan() -> None:
    fake = FakeScim()
    uid = fake.add_user("here@example.test", "Here")
    with pytest.raises(Conflict, match="run plan again") as info:
        run(fake, lambda c: c.create_user(email="here@example.test", display_name="X", active=True))
    assert not isinstance(info.value, ForeignAccountConflict)
    assert uid in str(info.value)


def test_rfc7644_profile_looks_users_up_by_username_filter() -> None:
    fake = FakeScim()
    fake.after_write = [drop]
    # the fake refuses userName filters (400): the client falls back to the full list
    new_id = run(
        fake,
        lambda c: c.create_user(email="r@example.test", display_name="R", active=True),
        profile=Profile.RFC7644,
    )
    assert new_id in fake.users
    filters = [s.params.get("filter") for s in fake.requests("GET")]
    assert filters == ['userName eq "r@example.test"', None]
    body = fake.requests("POST")[0].body
    assert body["emails"] == [{"value": "r@example.test", "primary": True, "type": "work"}]


def test_create_gives_up_with_unknown_outcome_when_lookups_fail() -> None:
    fake = FakeScim()
    fake.script = [drop, answer(500)]
    with pytest.raises(UnknownOutcomeError, match="run plan again"):
        run(fake, lambda c: c.create_user(email="u@example.test", display_name="U", active=True))
    assert len(fake.requests("POST")) == 1


def test_a_dropped_group_create_is_settled_by_name() -> None:
    fake = FakeScim()
    uid = fake.add_user("a@example.test", "A")
    fake.after_write = [drop]
    gid = run(fake, lambda c: c.create_group(name="Eng", member_ids=[uid]))
    assert fake.groups[gid]["members"] == [uid]
    assert len(fake.requests("POST")) == 1


# --- updates and groups ----------------------------------------------------------------


def test_update_user_is_one_patch_of_replace_operations() -> None:
    fake = FakeScim()
    uid = fake.add_user("a@example.test", "A")
    run(fake, lambda c: c.update_user(user_id=uid, display_name="B", active=False))
    assert len(fake.seen) == 1
    ops = fake.seen[0].body["Operations"]
    assert ops == [
        {"op": "replace", "path": "displayName", "value": "B"},
        {"op": "replace", "path": "active", "value": False},
    ]


def test_update_user_without_changes_sends_nothing() -> None:
    fake = FakeScim()
    run(fake, lambda c: c.update_user(user_id="u1"))
    assert fake.seen == []


def test_group_change_is_one_patch_rename_then_adds_then_removals() -> None:
    fake = FakeScim()
    a, b, c_ = (fake.add_user(f"{n}@example.test", n) for n in "abc")
    gid = fake.add_group("Old", [a])
    count = run(
        fake, lambda c: c.patch_group(group_id=gid, rename="New", add_ids=[b, c_], remove_ids=[a])
    )
    assert count == 1
    ops = fake.seen[0].body["Operations"]
    assert [o["op"] for o in ops] == ["replace", "add", "remove"]
    assert ops[2]["path"] == f'members[value eq "{a}"]'
    assert fake.groups[gid] == {"id": gid, "displayName": "New", "members": [b, c_]}


def test_group_changes_past_the_limit_are_chunked_and_each_chunk_fits() -> None:
    fake = FakeScim()
    ids = [fake.add_user(f"m{i}@example.test", f"M {i}") for i in range(9)]
    gid = fake.add_group("G", ids[:2])
    count = run(
        fake,
        lambda c: c.patch_group(group_id=gid, rename="H", add_ids=ids[2:], remove_ids=ids[:2]),
        patch_limits=PatchLimits(max_operations=3),
    )
    costs = [
        sum(len(o["value"]) if o["op"] == "add" else 1 for o in s.body["Operations"])
        for s in fake.seen
    ]
    assert count == len(fake.seen) == 4  # cost 1 rename + 7 adds + 2 removes = 10, by 3
    assert max(costs) <= 3
    assert sorted(fake.groups[gid]["members"]) == sorted(ids[2:])
    assert fake.groups[gid]["displayName"] == "H"


def test_create_group_carries_its_initial_members() -> None:
    fake = FakeScim()
    ids = [fake.add_user(f"m{i}@example.test", f"M {i}") for i in range(3)]
    gid = run(fake, lambda c: c.create_group(name="G", member_ids=ids))
    assert len(fake.seen) == 1
    assert sorted(fake.groups[gid]["members"]) == sorted(ids)


def test_delete_group_404_after_a_lost_answer_is_done_but_a_plain_404_is_not() -> None:
    fake = FakeScim()
    gid = fake.add_group("G", [])
    fake.after_write = [drop]
    run(fake, lambda c: c.delete_group(group_id=gid))
    assert gid not in fake.groups
    assert [s.method for s in fake.seen] == ["DELETE", "DELETE"]
    with pytest.raises(NotFound):
        run(fake, lambda c: c.delete_group(group_id=gid))


# --- audit records ---------------------------------------------------------------------


def test_requests_are_reported_to_the_hook_and_the_recording_block() -> None:
    fake = FakeScim()
    uid = fake.add_user("a@example.test", "A")
    fake.script = [passthrough, answer(503)]
    hooked: list[RequestRecord] = []

    async def action(client: ScimClient) -> list[RequestRecord]:
        await client.list_users()
        with client.recording() as records:
            await client.update_user(user_id=uid, active=False)
        return records

    records = run(fake, action, on_request=hooked.append)
    assert [(r.method, r.status, r.attempt) for r in records] == [
        ("PATCH", 503, 1),
        ("PATCH", 200, 2),
    ]
    assert records[0].path == f"/Users/{uid}"
    assert len(hooked) == 3
    assert hooked[0].path == "/Users?startIndex=1&count=1000"
    assert all(r.duration >= 0 for r in hooked)
