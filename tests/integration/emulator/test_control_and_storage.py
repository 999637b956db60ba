"""Control API (issue 3 item 5) and SQLite storage (item 6) over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import RunningEmulator, run_emulator
from tests.integration.emulator.helpers import (
    assert_scim_error,
    client,
    create_group,
    create_user,
    user_body,
)

pytestmark = pytest.mark.integration

SEED = {
    "users": [
        {"userName": "a@example.test", "displayName": "A One", "active": True},
        {"userName": "b@example.test", "displayName": "B Two", "active": False},
    ],
    "groups": [{"displayName": "Team", "members": ["a@example.test", "B@example.test"]}],
    "foreign_accounts": ["f@example.test"],
}


def test_seed_state_and_reset(emulator: RunningEmulator) -> None:
    counts = emulator.control.seed(SEED)
    assert counts == {"users": 2, "groups": 1, "members": 2, "foreign_accounts": 1}
    state = emulator.control.state()
    assert [(u["id"], u["userName"], u["active"]) for u in state["users"]] == [
        ("u1000001", "a@example.test", True),
        ("u1000002", "b@example.test", False),
    ]
    assert state["groups"][0]["id"] == "g1000001"
    assert state["groups"][0]["members"] == ["u1000001", "u1000002"]
    assert state["foreign_accounts"] == ["f@example.test"]
    emulator.control.reset()
    assert emulator.control.state() == {"users": [], "groups": [], "foreign_accounts": []}
    # ids are deterministic: the same seed after a reset gives the same ids
    emulator.control.seed(SEED)
    assert emulator.control.state()["users"][0]["id"] == "u1000001"


@pytest.mark.parametrize(
    "bad",
    [
        {"users": [{"userName": "x@example.test"}]},  # displayName missing
        {"groups": [{"displayName": "G", "members": ["ghost@example.test"]}]},
        {"users": [SEED["users"][0], SEED["users"][0]]},  # type: ignore[index]
        {"users": [SEED["users"][0]], "foreign_accounts": ["A@example.test"]},  # type: ignore[index]
        {"unknown": []},
    ],
)
def test_bad_seed_is_refused_and_nothing_is_written(
    emulator: RunningEmulator, bad: dict[str, object]
) -> None:
    r = httpx.post(f"{emulator.origin}/_emulator/seed", json=bad, headers=emulator.headers())
    assert_scim_error(r, 400)
    assert emulator.control.state() == {"users": [], "groups": [], "foreign_accounts": []}


def test_request_log_counts_per_method_and_path(emulator: RunningEmulator) -> None:
    with client(emulator.url, emulator.token) as http:
        uid = create_user(http, "log@example.test")["id"]
        http.get(f"/Users/{uid}")
        http.get("/Users/u9")
        http.get("/Users", params={"count": 1})
        create_group(http, "G")
    log = emulator.control.requests()
    assert log["counts"] == {
        "GET /scim/v2/Users": 1,
        "GET /scim/v2/Users/{id}": 2,
        "POST /scim/v2/Groups": 1,
        "POST /scim/v2/Users": 1,
    }
    assert log["by_method"] == {"GET": 3, "POST": 2}
    assert log["by_status"] == {"200": 2, "201": 2, "404": 1}
    assert log["total"] == 5
    assert [e["path"] for e in emulator.control.requests(limit=2)["entries"]] == [
        "/scim/v2/Users",
        "/scim/v2/Groups",
    ]
    emulator.control.clear_requests()
    assert emulator.control.requests()["total"] == 0


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "emu.sqlite3")
    with run_emulator(db_path=db) as first, client(first.url, first.token) as http:
        uid = create_user(http, "keep@example.test", "Kept User")["id"]
        create_group(http, "Kept", [uid])
        first.control.seed(foreign_accounts=["f@example.test"])
    with run_emulator(db_path=db) as second, client(second.url, second.token) as http:
        assert http.get(f"/Users/{uid}").json()["displayName"] == "Kept User"
        assert http.get("/Groups").json()["Resources"][0]["members"][0]["value"] == uid
        assert_scim_error(http.post("/Users", json=user_body("F@example.test")), 409)
        # counters survive too: no id is ever reused
        assert create_user(http, "next@example.test")["id"] == "u1000002"


def test_concurrent_creates_are_safe(emulator: RunningEmulator) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        with client(emulator.url, emulator.token) as http:
            for j in range(10):
                r = http.post("/Users", json=user_body(f"w{i}.{j}@example.test"))
                # everyone also races for one shared address
                s = http.post("/Users", json=user_body("shared@example.test"))
                with lock:
                    results.extend([r.status_code, s.status_code])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    users = emulator.control.state()["users"]
    assert len(users) == 61
    assert len({u["id"] for u in users}) == 61
    assert results.count(201) == 61
    assert results.count(409) == 59


def test_factory_servers_are_independent(
    emulator: RunningEmulator, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    other = emulator_factory()
    other.control.seed(SEED)
    assert emulator.control.state()["users"] == []
    assert len(other.control.state()["users"]) == 2
