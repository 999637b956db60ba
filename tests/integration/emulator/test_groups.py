"""Groups per RFC 7644 over real HTTP (issue 3 item 2; DESIGN R7, R8, R9, R12, R18)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from reconcile.emulator.config import ConfigError, EmulatorConfig
from tests.conftest import RunningEmulator
from tests.integration.emulator.helpers import (
    GROUP,
    assert_scim_error,
    client,
    create_group,
    create_user,
    patch,
    user_body,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def http(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with client(emulator.url, emulator.token) as c:
        yield c


@pytest.fixture
def uids(http: httpx.Client) -> list[str]:
    return [create_user(http, f"m{i}@example.test", f"Member {i}")["id"] for i in range(4)]


def member_ids(group: dict[str, object]) -> list[str]:
    return [m["value"] for m in group["members"]]  # type: ignore[attr-defined, index]


def test_create_with_members_and_get(http: httpx.Client, uids: list[str]) -> None:
    group = create_group(http, "Engineering", uids[:2])
    assert group["id"].startswith("g")
    assert group["displayName"] == "Engineering"
    # TeamViewer documents members as {value, display}; `--rfc-strict` adds `$ref`.
    assert group["members"][0] == {"value": uids[0], "display": "Member 0"}
    assert member_ids(group) == uids[:2]
    assert http.get(f"/Groups/{group['id']}").json() == group


def test_unknown_member_ids_are_refused(http: httpx.Client, uids: list[str]) -> None:
    r = http.post(
        "/Groups",
        json={"schemas": [GROUP], "displayName": "X", "members": [{"value": "u404"}]},
    )
    assert "u404" in assert_scim_error(r, 400, "invalidValue")["detail"]
    gid = create_group(http, "Y", uids[:1])["id"]
    add = patch({"op": "add", "path": "members", "value": [{"value": "u404"}]})
    assert_scim_error(http.patch(f"/Groups/{gid}", json=add), 400, "invalidValue")
    assert member_ids(http.get(f"/Groups/{gid}").json()) == uids[:1]


def test_display_name_is_required(http: httpx.Client) -> None:
    r = http.post("/Groups", json={"schemas": [GROUP], "members": []})
    assert_scim_error(r, 400, "invalidValue")


def test_list_with_excluded_members(http: httpx.Client, uids: list[str]) -> None:
    a = create_group(http, "A", uids)
    b = create_group(http, "B")
    listed = http.get("/Groups", params={"excludedAttributes": "members"}).json()
    assert [g["id"] for g in listed["Resources"]] == [a["id"], b["id"]]
    assert all("members" not in g for g in listed["Resources"])
    assert listed["totalResults"] == 2
    assert listed["startIndex"] == 0
    full = http.get("/Groups").json()["Resources"]
    assert member_ids(full[0]) == uids
    assert full[1]["members"] == []


def test_patch_members_add_remove_replace_and_rename(http: httpx.Client, uids: list[str]) -> None:
    gid = create_group(http, "Support", uids[:2])["id"]
    body = patch(
        {"op": "replace", "path": "displayName", "value": "Customer Support"},
        {"op": "add", "path": "members", "value": [{"value": uids[2]}, {"value": uids[3]}]},
        {"op": "remove", "path": f'members[value eq "{uids[0]}"]'},
    )
    r = http.patch(f"/Groups/{gid}", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["displayName"] == "Customer Support"
    assert member_ids(r.json()) == uids[1:]
    # the remove-with-value form many clients send
    r = http.patch(
        f"/Groups/{gid}",
        json=patch({"op": "remove", "path": "members", "value": [{"value": uids[1]}]}),
    )
    assert member_ids(r.json()) == uids[2:]
    r = http.patch(
        f"/Groups/{gid}",
        json=patch({"op": "replace", "path": "members", "value": [{"value": uids[0]}]}),
    )
    assert member_ids(r.json()) == uids[:1]
    r = http.patch(f"/Groups/{gid}", json=patch({"op": "remove", "path": "members"}))
    assert r.json()["members"] == []
    stored = http.get(f"/Groups/{gid}").json()
    assert (stored["displayName"], stored["members"]) == ("Customer Support", [])


def test_patch_without_path(http: httpx.Client, uids: list[str]) -> None:
    gid = create_group(http, "Sales")["id"]
    r = http.patch(
        f"/Groups/{gid}",
        json=patch({"op": "add", "value": {"members": [{"value": uids[0]}]}}),
    )
    assert member_ids(r.json()) == uids[:1]
    r = http.patch(f"/Groups/{gid}", json=patch({"op": "replace", "value": {"displayName": "S"}}))
    assert r.json()["displayName"] == "S"


def test_duplicate_adds_are_idempotent(http: httpx.Client, uids: list[str]) -> None:
    gid = create_group(http, "G", uids[:1])["id"]
    r = http.patch(
        f"/Groups/{gid}",
        json=patch({"op": "add", "path": "members", "value": [{"value": uids[0]}]}),
    )
    assert member_ids(r.json()) == uids[:1]


def test_bad_patch_bodies(http: httpx.Client) -> None:
    gid = create_group(http, "G")["id"]
    assert_scim_error(
        http.patch(f"/Groups/{gid}", json={"schemas": ["x"], "Operations": []}),
        400,
        "invalidSyntax",
    )
    assert_scim_error(
        http.patch(f"/Groups/{gid}", json=patch({"op": "move", "path": "members"})), 400
    )
    assert_scim_error(http.patch(f"/Groups/{gid}", content=b"{not json"), 400, "invalidSyntax")
    assert_scim_error(
        http.patch(f"/Groups/{gid}", json=patch({"op": "remove", "path": "displayName"})),
        400,
        "mutability",
    )


def test_delete_group(http: httpx.Client, uids: list[str], emulator: RunningEmulator) -> None:
    gid = create_group(http, "Contractors", uids[:1])["id"]
    r = http.delete(f"/Groups/{gid}")
    assert r.status_code == 204
    assert r.content == b""
    assert_scim_error(http.get(f"/Groups/{gid}"), 404)
    assert_scim_error(http.delete(f"/Groups/{gid}"), 404)
    assert len(emulator.control.state()["users"]) == 4  # members are never deleted (R4)


def test_put_replaces_name_and_members(http: httpx.Client, uids: list[str]) -> None:
    gid = create_group(http, "Old", uids[:2])["id"]
    body = {"schemas": [GROUP], "displayName": "New", "members": [{"value": uids[3]}]}
    r = http.put(f"/Groups/{gid}", json=body)
    assert r.status_code == 200
    assert (r.json()["displayName"], member_ids(r.json())) == ("New", uids[3:])


def test_display_name_filter_on_groups(http: httpx.Client) -> None:
    create_group(http, "Sales")
    create_group(http, "Support")
    r = http.get("/Groups", params={"filter": 'displayName eq "Sales"'}).json()
    assert [g["displayName"] for g in r["Resources"]] == ["Sales"]


def test_max_patch_operations(emulator_factory: Callable[..., RunningEmulator]) -> None:
    emu = emulator_factory(max_patch_operations=3)
    with client(emu.url, emu.token) as http:
        uids = [create_user(http, f"x{i}@example.test")["id"] for i in range(4)]
        gid = create_group(http, "G")["id"]
        too_many = patch({"op": "add", "path": "members", "value": [{"value": u} for u in uids]})
        assert_scim_error(http.patch(f"/Groups/{gid}", json=too_many), 413)
        assert http.get(f"/Groups/{gid}").json()["members"] == []
        ok = patch({"op": "add", "path": "members", "value": [{"value": u} for u in uids[:3]]})
        assert http.patch(f"/Groups/{gid}", json=ok).status_code == 200
        ops = patch(*({"op": "replace", "path": "active", "value": True} for _ in range(4)))
        assert_scim_error(http.patch(f"/Users/{uids[0]}", json=ops), 413)


def test_listed_member_names_follow_user_writes(http: httpx.Client, uids: list[str]) -> None:
    """A page of groups names its members from a cache of display names; every user write
    must show in the next listing (new user, rename), and a refused one changes nothing."""
    group = create_group(http, "Names", uids[:2])

    def listed() -> list[object]:
        (found,) = [g for g in http.get("/Groups").json()["Resources"] if g["id"] == group["id"]]
        return [m["display"] for m in found["members"]]

    assert listed() == ["Member 0", "Member 1"]
    late = create_user(http, "late@example.test", "Late Joiner")["id"]
    added = http.patch(
        f"/Groups/{group['id']}",
        json=patch({"op": "add", "path": "members", "value": [{"value": late}]}),
    )
    assert added.status_code in (200, 204), added.text
    assert listed() == ["Member 0", "Member 1", "Late Joiner"]
    renamed = http.patch(
        f"/Users/{uids[0]}",
        json=patch({"op": "replace", "path": "displayName", "value": "Renamed Zero"}),
    )
    assert renamed.status_code == 200, renamed.text
    assert listed() == ["Renamed Zero", "Member 1", "Late Joiner"]
    assert http.post("/Users", json=user_body("m1@example.test", "Impostor")).status_code == 409
    assert listed() == ["Renamed Zero", "Member 1", "Late Joiner"]


def test_max_create_members_refuses_a_large_create_and_changes_nothing(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(max_create_members=3)
    with client(emu.url, emu.token) as http:
        uids = [create_user(http, f"c{i}@example.test")["id"] for i in range(4)]
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Big",
            "members": [{"value": u} for u in uids],
        }
        assert_scim_error(http.post("/Groups", json=body), 413)
        assert http.get("/Groups").json()["totalResults"] == 0
        gid = create_group(http, "Small", uids[:3])["id"]
        assert_scim_error(http.put(f"/Groups/{gid}", json=body), 413)
        assert member_ids(http.get(f"/Groups/{gid}").json()) == uids[:3]


def test_listings_are_in_creation_order_so_new_users_come_last(http: httpx.Client) -> None:
    """The order a growing listing relies on (docs/emulator.md): a user created while a
    client pages lands after every user already listed, whatever its name."""
    for name in ("Maria", "Zoe", "Bob"):
        create_user(http, f"{name.lower()}@example.test", f"{name} Test")
    first = http.get("/Users", params={"startIndex": 1, "count": 2}).json()
    create_user(http, "aaron@example.test", "Aaron Early")
    rest = http.get("/Users", params={"startIndex": 3, "count": 2}).json()
    names = [u["displayName"] for u in first["Resources"] + rest["Resources"]]
    assert names == ["Maria Test", "Zoe Test", "Bob Test", "Aaron Early"]


def test_list_order_name_is_stable_but_lets_new_users_shift_pages(
    emulator_factory: Callable[..., RunningEmulator],
) -> None:
    emu = emulator_factory(list_order="name")
    with client(emu.url, emu.token) as http:
        for name in ("Maria", "Zoe", "Bob"):
            create_user(http, f"{name.lower()}@example.test", f"{name} Test")
        gids = [create_group(http, n)["id"] for n in ("Sales", "Admins")]
        listed = [u["displayName"] for u in http.get("/Users").json()["Resources"]]
        assert listed == ["Bob Test", "Maria Test", "Zoe Test"]
        assert [g["id"] for g in http.get("/Groups").json()["Resources"]] == gids[::-1]
        create_user(http, "aaron@example.test", "Aaron Early")
        page = http.get("/Users", params={"startIndex": 1, "count": 1}).json()
        assert [u["displayName"] for u in page["Resources"]] == ["Aaron Early"]


def test_unknown_list_order_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="list_order"):
        EmulatorConfig(tokens={"t": frozenset({"read"})}, list_order="random")
