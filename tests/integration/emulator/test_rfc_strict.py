"""`--rfc-strict`: the TeamViewer quirks switched off (issue 3 item 7)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.conftest import RunningEmulator
from tests.integration.emulator.helpers import USER, assert_scim_error, client, patch

pytestmark = pytest.mark.integration


@pytest.fixture
def http(emulator_factory: Callable[..., RunningEmulator]) -> Iterator[httpx.Client]:
    emu = emulator_factory(rfc_strict=True)
    with client(emu.url, emu.token) as c:
        yield c


def make(http: httpx.Client, user_name: str, **extra: object) -> dict[str, object]:
    r = http.post("/Users", json={"schemas": [USER], "userName": user_name, **extra})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_user_delete_is_allowed(http: httpx.Client) -> None:
    uid = make(http, "gone")["id"]
    assert http.delete(f"/Users/{uid}").status_code == 204
    assert_scim_error(http.get(f"/Users/{uid}"), 404)


def test_names_are_stored_as_sent(http: httpx.Client) -> None:
    user = make(http, "bob", name={"givenName": "Bob", "familyName": "Lee"})
    assert user["name"] == {"givenName": "Bob", "familyName": "Lee"}
    assert "displayName" not in user


def test_all_patch_ops_and_user_name_changes(http: httpx.Client) -> None:
    uid = make(http, "carol", displayName="Carol")["id"]
    body = patch(
        {"op": "add", "path": "emails", "value": [{"value": "c@example.test", "type": "work"}]},
        {"op": "remove", "path": "displayName"},
        {"op": "replace", "path": "userName", "value": "carol2"},
        {"op": "add", "path": "name.givenName", "value": "Carol"},
    )
    r = http.patch(f"/Users/{uid}", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["userName"] == "carol2"
    assert "displayName" not in doc
    assert doc["emails"] == [{"value": "c@example.test", "type": "work"}]
    assert doc["name"] == {"givenName": "Carol"}
    r = http.patch(f"/Users/{uid}", json=patch({"op": "remove", "path": 'emails[type eq "work"]'}))
    assert "emails" not in r.json()


def test_all_filters_and_the_real_start_index(http: httpx.Client) -> None:
    make(http, "Alice", emails=[{"value": "alice@example.test"}], active=True)
    make(http, "bob", active=False)
    by_name = http.get("/Users", params={"filter": 'userName eq "alice"'}).json()
    assert [u["userName"] for u in by_name["Resources"]] == ["Alice"]
    by_mail = http.get("/Users", params={"filter": 'emails.value co "alice@"'}).json()
    assert by_mail["totalResults"] == 1
    combo = http.get("/Users", params={"filter": 'active eq false or userName sw "A"'}).json()
    assert combo["totalResults"] == 2
    negated = http.get("/Users", params={"filter": "not (active eq true)", "startIndex": 1}).json()
    assert [u["userName"] for u in negated["Resources"]] == ["bob"]
    assert negated["startIndex"] == 1
    assert_scim_error(
        http.get("/Users", params={"filter": 'userName zz "a"'}), 400, "invalidFilter"
    )


def test_uniqueness_still_holds(http: httpx.Client) -> None:
    make(http, "dave")
    r = http.post("/Users", json={"schemas": [USER], "userName": "DAVE"})
    assert_scim_error(r, 409, "uniqueness")


def test_group_members_carry_ref(http: httpx.Client) -> None:
    uid = str(make(http, "member", displayName="Member")["id"])
    r = http.post(
        "/Groups",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Team",
            "members": [{"value": uid}],
        },
    )
    assert r.status_code == 201, r.text
    (member,) = r.json()["members"]
    assert member == {"value": uid, "$ref": f"{http.base_url}Users/{uid}", "display": "Member"}
    listed = http.get("/Groups").json()["Resources"]
    assert listed[0]["members"] == [member]
