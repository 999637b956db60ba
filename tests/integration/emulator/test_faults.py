"""Fault injection over real HTTP (issue 3 item 4): latency, 429, 5xx, drops, slow pages.

These check behaviour (a delay happens, a write lands), not speed: the bounds are loose.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from reconcile.emulator.config import Faults
from tests.conftest import RunningEmulator
from tests.integration.emulator.helpers import (
    assert_scim_error,
    client,
    create_user,
    patch,
    user_body,
)

pytestmark = pytest.mark.integration


def elapsed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def test_latency_and_jitter_settable_at_run_time(emulator: RunningEmulator) -> None:
    with client(emulator.url, emulator.token) as http:
        http.get("/Users")  # warm the connection
        assert emulator.control.set_faults(latency_ms=150, jitter_ms=50)["latency_ms"] == 150
        assert elapsed(lambda: http.get("/Users")) >= 0.15
        emulator.control.set_faults(latency_ms=0, jitter_ms=0)
        assert emulator.control.faults()["latency_ms"] == 0


def test_latency_settable_at_start(emulator_factory: Callable[..., RunningEmulator]) -> None:
    emu = emulator_factory(faults=Faults(latency_ms=120))
    assert emu.control.faults()["latency_ms"] == 120
    with client(emu.url, emu.token) as http:
        assert elapsed(lambda: http.get("/Users")) >= 0.12


def test_rate_limit_answers_429_with_retry_after(emulator: RunningEmulator) -> None:
    emulator.control.set_faults(rate_limit_rps=1, rate_limit_burst=3)
    with client(emulator.url, emulator.token) as http:
        statuses = [http.get("/Users") for _ in range(6)]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    limited = [r for r in statuses if r.status_code == 429]
    assert len(limited) >= 2
    for r in limited:
        assert_scim_error(r, 429)
        assert int(r.headers["Retry-After"]) >= 1
    assert emulator.control.requests()["by_status"]["429"] == len(limited)


def test_rate_limit_refills(emulator: RunningEmulator) -> None:
    emulator.control.set_faults(rate_limit_rps=20, rate_limit_burst=1)
    with client(emulator.url, emulator.token) as http:
        assert http.get("/Users").status_code == 200
        time.sleep(0.2)  # 4 tokens' worth of refill, capped by the burst of 1
        assert http.get("/Users").status_code == 200


def test_error_rate_answers_503_and_does_nothing(emulator: RunningEmulator) -> None:
    emulator.control.set_faults(error_rate=1.0)
    with client(emulator.url, emulator.token) as http:
        assert_scim_error(http.post("/Users", json=user_body("e@example.test")), 503)
        assert_scim_error(http.get("/Users"), 503)
    assert emulator.control.state()["users"] == []


def test_commit_then_drop(emulator: RunningEmulator) -> None:
    with client(emulator.url, emulator.token) as http:
        uid = create_user(http, "drop@example.test", "Drop Me")["id"]
        emulator.control.set_faults(drop_rate=1.0)
        with pytest.raises(httpx.RemoteProtocolError):
            http.patch(
                f"/Users/{uid}", json=patch({"op": "replace", "path": "active", "value": False})
            )
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/Users", json=user_body("new@example.test", "New One"))
        # reads are never dropped
        assert http.get(f"/Users/{uid}").status_code == 200
        emulator.control.set_faults(drop_rate=0.0)
        # the writes happened: the client just never heard back
        assert http.get(f"/Users/{uid}").json()["active"] is False
        again = http.post("/Users", json=user_body("new@example.test", "New One"))
        assert_scim_error(again, 409, "uniqueness")
    log = emulator.control.requests()
    assert sum(1 for e in log["entries"] if e["dropped"]) == 2


def test_slow_page_delays_list_answers_only(emulator: RunningEmulator) -> None:
    with client(emulator.url, emulator.token) as http:
        uid = create_user(http, "s@example.test")["id"]
        emulator.control.set_faults(slow_page_ms=200)
        assert elapsed(lambda: http.get("/Users")) >= 0.2
        assert elapsed(lambda: http.get("/Groups")) >= 0.2
        assert elapsed(lambda: http.get(f"/Users/{uid}")) < 0.2


def test_faults_do_not_touch_the_control_api(emulator: RunningEmulator) -> None:
    emulator.control.set_faults(error_rate=1.0, rate_limit_rps=0.001, rate_limit_burst=1)
    for _ in range(3):
        assert emulator.control.state() == {"users": [], "groups": [], "foreign_accounts": []}


@pytest.mark.parametrize(
    "bad",
    [
        {"error_rate": 2},
        {"latency_ms": -1},
        {"rate_limit_rps": 0},
        {"nope": 1},
        {"rate_limit_burst": 0},
    ],
)
def test_invalid_fault_settings_are_refused(
    emulator: RunningEmulator, bad: dict[str, object]
) -> None:
    r = httpx.put(f"{emulator.origin}/_emulator/faults", json=bad, headers=emulator.headers())
    assert_scim_error(r, 400)
    assert emulator.control.faults() == Faults().as_dict()
