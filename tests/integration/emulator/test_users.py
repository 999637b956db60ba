"""TeamViewer user behaviour over real HTTP (issue 3 item 2; DESIGN R1, R4, R14, R15)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.conftest import RunningEmulator
from tests.integration.emulator.helpers import (
    SSO,
    USER,
    assert_scim_error,
    client,
    create_user,
    patch,
    user_body,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def http(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with client(emulator.url, emulator.token) as c:
        yield c


def test_user_ids_start_with_u_and_username_is_the_email(http: httpx.Client) -> None:
    user = create_user(http, "jane.doe@example.test", "Jane Doe")
    assert user["id"].startswith("u")
    assert user["userName"] == "jane.doe@example.test"
    assert user["emails"] == [{"value": "jane.doe@example.test", "primary": True}]
    fetched = http.get(f"/Users/{user['id']}")
    assert fetched.status_code == 200
    assert fetched.headers["content-type"].startswith("application/scim+json")
    assert fetched.json() == user


def test_username_wins_over_emails_and_emails_alone_are_accepted(http: httpx.Client) -> None:
    both = create_user(
        http, "a.one@example.test", emails=[{"value": "other@example.test", "primary": True}]
    )
    assert both["userName"] == "a.one@example.test"
    assert [e["value"] for e in both["emails"]] == ["a.one@example.test"]
    body = {"schemas": [USER], "displayName": "B Two", "emails": [{"value": "b.two@example.test"}]}
    only_emails = http.post("/Users", json=body)
    assert only_emails.status_code == 201
    assert only_emails.json()["userName"] == "b.two@example.test"


def test_username_must_be_an_email(http: httpx.Client) -> None:
    assert_scim_error(http.post("/Users", json=user_body("not-an-email")), 400, "invalidValue")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {
                "displayName": "Shown Name",
                "name": {"formatted": "Formatted", "givenName": "G", "familyName": "F"},
            },
            "Shown Name",
        ),
        (
            {"name": {"formatted": "Formatted Name", "givenName": "G", "familyName": "F"}},
            "Formatted Name",
        ),
        ({"name": {"givenName": "Mary Ann", "familyName": "Smith"}}, "Mary Ann Smith"),
    ],
)
def test_name_input_precedence(http: httpx.Client, extra: dict[str, object], expected: str) -> None:
    r = http.post("/Users", json={"schemas": [USER], "userName": "n@example.test", **extra})
    assert r.status_code == 201, r.text
    assert r.json()["displayName"] == expected
    assert r.json()["name"]["formatted"] == expected


@pytest.mark.parametrize(
    "extra",
    [{}, {"name": {"givenName": "Only"}}, {"name": {"familyName": "Only"}}, {"displayName": "  "}],
)
def test_name_parameter_missing(http: httpx.Client, extra: dict[str, object]) -> None:
    r = http.post("/Users", json={"schemas": [USER], "userName": "n@example.test", **extra})
    body = assert_scim_error(r, 400)
    assert "Name parameter missing" in body["detail"]


def test_name_output_is_resplit_at_the_first_space(http: httpx.Client) -> None:
    mary = create_user(http, "mary@example.test", "Mary Ann Smith")
    assert mary["name"] == {
        "formatted": "Mary Ann Smith",
        "givenName": "Mary",
        "familyName": "Ann Smith",
    }
    desk = create_user(http, "desk@example.test", "Helpdesk")
    assert desk["name"] == {"formatted": "Helpdesk", "givenName": None, "familyName": None}


def test_create_only_attributes_are_stored_but_never_returned(
    http: httpx.Client, emulator: RunningEmulator
) -> None:
    user = create_user(
        http,
        "sso@example.test",
        "Sso User",
        schemas=[USER, SSO],
        password="Secret-123",
        preferredLanguage="de",
        **{SSO: {"ssoCustomerId": "cust-42"}},
    )
    for doc in (
        user,
        http.get(f"/Users/{user['id']}").json(),
        http.get("/Users").json()["Resources"][0],
    ):
        assert "password" not in doc
        assert "preferredLanguage" not in doc
        assert SSO not in doc
        assert "cust-42" not in str(doc)
    (stored,) = emulator.control.state()["users"]
    assert stored["preferredLanguage"] == "de"
    assert stored[SSO] == {"ssoCustomerId": "cust-42"}
    assert stored["hasPassword"] is True
    assert "Secret-123" not in str(emulator.control.state())


def test_preferred_language_defaults_to_en(http: httpx.Client, emulator: RunningEmulator) -> None:
    create_user(http, "lang@example.test")
    (stored,) = emulator.control.state()["users"]
    assert stored["preferredLanguage"] == "en"
    assert stored["hasPassword"] is False


def test_sso_extension_needs_its_schema_listed(http: httpx.Client) -> None:
    r = http.post("/Users", json=user_body("x@example.test", **{SSO: {"ssoCustomerId": "c"}}))
    assert_scim_error(r, 400, "invalidSyntax")


def test_core_schema_is_required(http: httpx.Client) -> None:
    r = http.post("/Users", json={"schemas": [], "userName": "x@example.test", "displayName": "X"})
    assert_scim_error(r, 400, "invalidSyntax")


def test_email_unique_case_insensitively_across_the_service(
    http: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.control.seed(foreign_accounts=["Robin.Hill@example.test"])
    foreign = http.post("/Users", json=user_body("robin.hill@EXAMPLE.test"))
    assert_scim_error(foreign, 409, "uniqueness")
    create_user(http, "jane@example.test")
    again = http.post("/Users", json=user_body("JANE@example.test"))
    assert_scim_error(again, 409, "uniqueness")
    assert len(emulator.control.state()["users"]) == 1


def test_email_change_by_put_or_patch_is_refused(http: httpx.Client) -> None:
    user = create_user(http, "keep@example.test", "Keep Me")
    uid = user["id"]
    put = http.put(f"/Users/{uid}", json=user_body("new@example.test", "Keep Me"))
    assert_scim_error(put, 400, "mutability")
    for op in (
        {"op": "replace", "path": "userName", "value": "new@example.test"},
        {"op": "replace", "value": {"userName": "new@example.test"}},
        {"op": "replace", "path": "emails", "value": [{"value": "new@example.test"}]},
        {"op": "replace", "path": "emails[primary eq true].value", "value": "new@example.test"},
    ):
        assert_scim_error(http.patch(f"/Users/{uid}", json=patch(op)), 400, "mutability")
    assert http.get(f"/Users/{uid}").json()["userName"] == "keep@example.test"
    same = http.put(f"/Users/{uid}", json=user_body("KEEP@example.test", "Kept"))
    assert same.status_code == 200
    assert same.json()["displayName"] == "Kept"


def test_put_replaces_name_and_active(http: httpx.Client) -> None:
    uid = create_user(http, "put@example.test", "Old Name")["id"]
    body = {
        "schemas": [USER],
        "userName": "put@example.test",
        "name": {"givenName": "New", "familyName": "Name"},
        "active": False,
    }
    r = http.put(f"/Users/{uid}", json=body)
    assert r.status_code == 200, r.text
    assert (r.json()["displayName"], r.json()["active"]) == ("New Name", False)
    missing = http.put(f"/Users/{uid}", json={"schemas": [USER], "userName": "put@example.test"})
    assert "Name parameter missing" in assert_scim_error(missing, 400)["detail"]


def test_patch_replace_with_and_without_path(http: httpx.Client) -> None:
    uid = create_user(http, "p@example.test", "Pat Doe")["id"]
    r = http.patch(f"/Users/{uid}", json=patch({"op": "replace", "path": "active", "value": False}))
    assert r.status_code == 200
    assert r.json()["active"] is False
    r = http.patch(
        f"/Users/{uid}",
        json=patch({"op": "Replace", "value": {"active": True, "displayName": "Pat Smith"}}),
    )
    assert (r.json()["active"], r.json()["displayName"]) == (True, "Pat Smith")
    r = http.patch(
        f"/Users/{uid}", json=patch({"op": "replace", "path": "name.familyName", "value": "Jones"})
    )
    assert r.json()["displayName"] == "Pat Jones"
    r = http.patch(
        f"/Users/{uid}", json=patch({"op": "replace", "path": "name.formatted", "value": "Solo"})
    )
    assert r.json()["name"] == {"formatted": "Solo", "givenName": None, "familyName": None}
    assert http.get(f"/Users/{uid}").json()["displayName"] == "Solo"


@pytest.mark.parametrize("op", ["add", "remove"])
def test_patch_ops_other_than_replace_are_refused(http: httpx.Client, op: str) -> None:
    user = create_user(http, "r@example.test", "Rita Ora")
    r = http.patch(
        f"/Users/{user['id']}", json=patch({"op": op, "path": "displayName", "value": "X Y"})
    )
    assert_scim_error(r, 400)
    assert http.get(f"/Users/{user['id']}").json() == user


def test_patch_is_atomic(http: httpx.Client) -> None:
    user = create_user(http, "atomic@example.test", "At Omic")
    body = patch(
        {"op": "replace", "path": "displayName", "value": "Changed Name"},
        {"op": "replace", "path": "preferredLanguage", "value": "fr"},  # create-only: refused
    )
    assert_scim_error(http.patch(f"/Users/{user['id']}", json=body), 400, "mutability")
    assert http.get(f"/Users/{user['id']}").json()["displayName"] == "At Omic"


def test_delete_user_is_405_with_an_explanation(
    http: httpx.Client, emulator: RunningEmulator
) -> None:
    user = create_user(http, "d@example.test")
    body = assert_scim_error(http.delete(f"/Users/{user['id']}"), 405)
    assert "deactivate" in body["detail"]
    assert len(emulator.control.state()["users"]) == 1
    assert_scim_error(http.delete("/Users/u999"), 404)


def test_unknown_user_is_404(http: httpx.Client) -> None:
    assert_scim_error(http.get("/Users/u404"), 404)


@pytest.mark.parametrize(
    "expr",
    [
        'userName eq "a@example.test"',
        'emails.value eq "a@example.test"',
        'emails eq "a@example.test"',
    ],
)
def test_filtering_by_email_is_refused(http: httpx.Client, expr: str) -> None:
    assert_scim_error(http.get("/Users", params={"filter": expr}), 400, "invalidFilter")


@pytest.mark.parametrize(
    "expr",
    [
        "displayName pr",
        'displayName eq "A" and active eq true',
        "active eq true",
        'displayName gt "A"',
    ],
)
def test_other_filters_are_refused(http: httpx.Client, expr: str) -> None:
    assert_scim_error(http.get("/Users", params={"filter": expr}), 400, "invalidFilter")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('displayName eq "Ana Souza"', ["ana"]),
        ('displayName eq "ana souza"', []),  # case-sensitive
        ('displayName ne "Ana Souza"', ["sam", "anabel"]),
        ('displayName co "na"', ["ana", "anabel"]),
        ('displayName sw "Ana"', ["ana", "anabel"]),
        ('displayName ew "Taylor"', ["sam"]),
        ('displayName ew "taylor"', []),
    ],
)
def test_display_name_filters(http: httpx.Client, expr: str, expected: list[str]) -> None:
    for handle, name in (("ana", "Ana Souza"), ("sam", "Sam Taylor"), ("anabel", "Anabel Lee")):
        create_user(http, f"{handle}@example.test", name)
    r = http.get("/Users", params={"filter": expr})
    assert r.status_code == 200, r.text
    assert [u["userName"].split("@")[0] for u in r.json()["Resources"]] == expected
    assert r.json()["totalResults"] == len(expected)


def test_paging_and_the_echoed_start_index(http: httpx.Client) -> None:
    ids = [create_user(http, f"user{i}@example.test", f"User {i}")["id"] for i in range(5)]
    everything = http.get("/Users").json()
    assert [u["id"] for u in everything["Resources"]] == ids  # stable insertion order
    assert (everything["totalResults"], everything["itemsPerPage"], everything["startIndex"]) == (
        5,
        5,
        0,
    )
    page = http.get("/Users", params={"startIndex": 2, "count": 2}).json()
    assert [u["id"] for u in page["Resources"]] == ids[1:3]
    assert (page["totalResults"], page["itemsPerPage"], page["startIndex"]) == (5, 2, 0)
    rest = http.get("/Users", params={"startIndex": 4}).json()
    assert [u["id"] for u in rest["Resources"]] == ids[3:]
    none = http.get("/Users", params={"count": 0}).json()
    assert (none["totalResults"], none["Resources"]) == (5, [])
    beyond = http.get("/Users", params={"startIndex": 9}).json()
    assert (beyond["totalResults"], beyond["Resources"]) == (5, [])
    assert_scim_error(http.get("/Users", params={"count": "many"}), 400, "invalidValue")


def test_max_page_size_caps_every_page(emulator_factory: Callable[..., RunningEmulator]) -> None:
    emu = emulator_factory(max_page_size=2)
    with client(emu.url, emu.token) as http:
        ids = [create_user(http, f"u{i}@example.test")["id"] for i in range(5)]
        first = http.get("/Users").json()
        assert (first["totalResults"], [u["id"] for u in first["Resources"]]) == (5, ids[:2])
        asked = http.get("/Users", params={"count": 10, "startIndex": 3}).json()
        assert [u["id"] for u in asked["Resources"]] == ids[2:4]
        spc = http.get("/ServiceProviderConfig").json()
        assert spc["filter"]["maxResults"] == 2


def test_attributes_projection(http: httpx.Client) -> None:
    uid = create_user(http, "proj@example.test", "Pro Jection")["id"]
    only = http.get(f"/Users/{uid}", params={"attributes": "active"}).json()
    assert set(only) == {"schemas", "id", "active"}
    without = http.get("/Users", params={"excludedAttributes": "name,emails"}).json()["Resources"][
        0
    ]
    assert "name" not in without
    assert "emails" not in without
    assert without["userName"]


def test_search_endpoint_follows_the_same_rules(http: httpx.Client) -> None:
    create_user(http, "s1@example.test", "Sam One")
    create_user(http, "s2@example.test", "Sue Two")
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'displayName sw "Su"',
        "attributes": ["userName"],
    }
    r = http.post("/Users/.search", json=body)
    assert r.status_code == 200, r.text
    assert [set(u) for u in r.json()["Resources"]] == [{"schemas", "id", "userName"}]
    assert r.json()["Resources"][0]["userName"] == "s2@example.test"
    by_mail = {**body, "filter": 'userName eq "s1@example.test"'}
    assert_scim_error(http.post("/Users/.search", json=by_mail), 400, "invalidFilter")
