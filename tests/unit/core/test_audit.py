"""The audit log: append-only JSON lines, Directory Insights names, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconcile.audit import AuditEvent, AuditLog, EventType


def _event(**overrides: object) -> AuditEvent:
    fields: dict[str, object] = {
        "event_type": EventType.USER_CREATE,
        "success": True,
        "resource": "jane.doe@example.test",
        "live_id": "u100",
        "method": "POST",
        "path": "/Users",
        "status": 201,
        "duration_ms": 12.345,
    }
    fields.update(overrides)
    return AuditEvent(**fields)  # type: ignore[arg-type]


def test_each_event_is_one_json_line_with_the_required_fields(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "audit.jsonl"
    with AuditLog(path=path, run_id="run-1") as log:
        log.write(_event())
        log.write(_event(success=False, status=409, error="address owned elsewhere"))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["event_type"] == "user_create_provision"
    assert first["run_id"] == "run-1"
    assert first["success"] is True
    assert first["live_id"] == "u100"
    assert first["duration_ms"] == 12.3
    assert first["timestamp"].endswith("+00:00")
    assert second["error"] == "address owned elsewhere"
    assert second["status"] == 409


def test_the_log_is_appended_never_truncated(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    for run in ("a", "b"):
        with AuditLog(path=path, run_id=run) as log:
            log.write(_event())
    runs = [json.loads(line)["run_id"] for line in path.read_text().splitlines()]
    assert runs == ["a", "b"]


def test_each_line_is_on_disk_before_the_next_operation(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditLog(path=path, run_id="r") as log:
        log.write(_event())
        # Read while the log is still open: a killed run keeps what was written.
        assert len(path.read_text().splitlines()) == 1


def test_writing_outside_the_context_is_a_programming_error(tmp_path: Path) -> None:
    log = AuditLog(path=tmp_path / "a.jsonl", run_id="r")
    with pytest.raises(RuntimeError):
        log.write(_event())


def test_all_directory_insights_names_are_used() -> None:
    assert {e.value for e in EventType} == {
        "user_create_provision",
        "user_update_provision",
        "user_deprovision",
        "user_lookup_provision",
        "group_create_provision",
        "group_update_provision",
        "group_delete_provision",
    }
