"""Issue 8 item 5: broken and hostile services, through the real CLI.

The client-level behaviour is unit-tested in tests/unit/live; here each misbehaviour is
served over real HTTP by `hostile_server` and met by `reconcile snapshot`/`apply` as a
user would run them: exit 1, one clear `error:` line, no traceback, nothing written, and
the token never leaves for another host.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RunningEmulator
from tests.integration.e2e.conftest import Run, Workspace
from tests.integration.reliability.conftest import assert_clean_failure, write_tenant
from tests.integration.reliability.hostile_server import HostileService, serve_hostile

TOKEN = "hostile-test-token-0042"


@pytest.fixture(scope="module")
def _served() -> Iterator[HostileService]:
    with serve_hostile() as service:
        yield service


@pytest.fixture
def hostile(_served: HostileService) -> HostileService:
    _served.mode = "ok"
    _served.seen.clear()
    return _served


def run(tmp_path: Path, service: HostileService, *args: str, target: str | None = None) -> Run:
    # Workspace only needs `.url` and `.token` of its emulator to build the environment.
    fake = RunningEmulator.__new__(RunningEmulator)
    fake.url = target or service.url
    fake.token = TOKEN
    return Workspace(root=tmp_path, emulator=fake).run(*args)


def snapshot(tmp_path: Path, service: HostileService) -> Run:
    result = run(tmp_path, service, "snapshot", "--out", "live.json")
    assert not (tmp_path / "live.json").exists(), "a snapshot was written from a bad answer"
    assert TOKEN not in result.stdout + result.stderr
    return result


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("html_500", "answered 500"),
        ("html_400", "answered 400"),
        ("html_200", "without JSON"),
        ("non_json", "without JSON"),
        ("missing_field", "userName"),
        ("mistyped_field", "active"),
        ("mistyped_total", "totalResults"),
        ("total_too_small", "totalResults is 1"),
        ("total_too_large", "changed while it was read"),
        ("endless", "more than the 10000 reconcile reads"),
        ("growing", "totalResults went from"),
        ("huge_body", "more than 64 MiB"),
        ("markup_detail", "bad [/] request [bold]here[/bold] [/red]"),
    ],
)
def test_a_broken_answer_is_one_clear_error_and_nothing_written(
    tmp_path: Path, hostile: HostileService, mode: str, expected: str
) -> None:
    hostile.mode = mode
    result = snapshot(tmp_path, hostile)
    assert_clean_failure(result, expected)
    # Bounded: a lying or endless listing costs a handful of requests, never millions.
    assert len(hostile.seen) <= 12, len(hostile.seen)


def test_endless_pagination_is_refused_before_any_second_page(
    tmp_path: Path, hostile: HostileService
) -> None:
    hostile.mode = "endless"
    assert_clean_failure(snapshot(tmp_path, hostile), "totalResults 1000000000000")
    assert [s.path for s in hostile.seen if s.path.endswith("/Users")] == ["/scim/v2/Users"]


def test_a_create_answered_with_html_fails_that_operation_not_the_run(
    tmp_path: Path, hostile: HostileService
) -> None:
    ws = Workspace(root=tmp_path, emulator=RunningEmulator.__new__(RunningEmulator))
    write_tenant(ws, users=2, groups=1)
    result = run(tmp_path, hostile, "apply", "desired_state", "--auto-approve")
    assert result.code == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "Failures:" in result.stderr
    assert "without JSON" in result.stderr or "not a valid" in result.stderr
    assert TOKEN not in result.stdout + result.stderr + (tmp_path / ".reconcile").joinpath(
        "audit.jsonl"
    ).read_text(encoding="utf-8")


def test_a_redirect_to_another_host_is_not_followed_and_the_token_stays(
    tmp_path: Path, hostile: HostileService
) -> None:
    # 127.0.0.2 is another loopback host: a different origin, still no network needed.
    with serve_hostile(host="127.0.0.2") as other:
        hostile.mode = "redirect"
        hostile.redirect_to = other.origin
        result = snapshot(tmp_path, hostile)
        assert_clean_failure(result, "redirect", "127.0.0.2", "--target")
        assert other.seen == [], "the redirect was followed"
    # The first host did get the token: it is the target.
    assert all(s.headers.get("authorization") == f"Bearer {TOKEN}" for s in hostile.seen)
    assert hostile.seen


@pytest.mark.parametrize(
    ("command", "target"),
    [
        (("snapshot", "--out", "live.json"), "http://scim.example.test/scim/v2"),
        (("snapshot", "--out", "live.json"), "http://10.1.2.3/scim/v2"),
        (("apply", "desired_state", "--auto-approve"), "http://scim.example.test/scim/v2"),
        (("import", "desired_state"), "http://scim.example.test/scim/v2"),
    ],
)
def test_plain_http_to_a_remote_host_is_refused_before_connecting(
    tmp_path: Path, hostile: HostileService, command: tuple[str, ...], target: str
) -> None:
    ws = Workspace(root=tmp_path, emulator=RunningEmulator.__new__(RunningEmulator))
    write_tenant(ws, users=2, groups=1)
    result = run(tmp_path, hostile, *command, target=target)
    assert_clean_failure(result, "refusing to send the token over plain HTTP", "https://")
    assert TOKEN not in result.stdout + result.stderr
    assert not (tmp_path / "live.json").exists()
    assert not (tmp_path / ".reconcile" / "audit.jsonl").exists()
