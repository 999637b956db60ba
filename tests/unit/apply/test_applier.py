"""The applier alone (issue 6 items 2-4), with a fake client: phases, failures, audit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from reconcile.apply import Status, apply_plan
from reconcile.audit import AuditLog
from reconcile.live.client import LearnedLimit, RequestRecord
from reconcile.live.errors import ForeignAccountConflict, ServerError
from reconcile.plan import (
    CreateGroup,
    CreateUser,
    DeleteGroup,
    MemberRef,
    Plan,
    UpdateGroup,
    UpdateUser,
)
from reconcile.plan.safety import check_applicable


class FakeClient:
    """Records calls in order; `fail` maps an e-mail or group name to an exception."""

    def __init__(self, *, fail: dict[str, Exception] | None = None, delay: float = 0) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail = fail or {}
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self._records: list[RequestRecord] | None = None
        self._next = 0
        self.learned_limits: list[LearnedLimit] = []  # as ScimClient: sizes learnt
        self.size_refusals = 0

    @contextmanager
    def recording(self) -> Iterator[list[RequestRecord]]:
        records: list[RequestRecord] = []
        self._records = records
        yield records

    async def _do(self, kind: str, subject: str, args: Any, method: str, path: str) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(self.delay)
        self.in_flight -= 1
        self.calls.append((kind, args))
        error = self.fail.get(subject)
        status = 409 if isinstance(error, ForeignAccountConflict) else 200
        if self._records is not None:
            self._records.append(
                RequestRecord(
                    method=method, path=path, sent_at=0, status=status, duration=0.01, attempt=1
                )
            )
        if error is not None:
            raise error

    async def create_user(self, *, email: str, **kw: Any) -> str:
        await self._do("create_user", email, email, "POST", "/Users")
        self._next += 1
        return f"u{self._next}"

    async def update_user(self, *, user_id: str, **kw: Any) -> None:
        await self._do("update_user", user_id, (user_id, kw), "PATCH", f"/Users/{user_id}")

    async def create_group(self, *, name: str, member_ids: list[str]) -> str:
        await self._do("create_group", name, (name, sorted(member_ids)), "POST", "/Groups")
        return "g-new"

    async def patch_group(self, *, group_id: str, **kw: Any) -> int:
        await self._do("patch_group", group_id, (group_id, kw), "PATCH", f"/Groups/{group_id}")
        return 1

    async def delete_group(self, *, group_id: str) -> None:
        await self._do("delete_group", group_id, group_id, "DELETE", f"/Groups/{group_id}")


def _plan(*ops: Any) -> Plan:
    return Plan(
        target="test",
        live_fingerprint="l",
        desired_fingerprint="d",
        operations=tuple(sorted(ops, key=lambda op: op.sort_key)),
        notices=(),
        safety=(),
    )


def _foreign(email: str) -> ForeignAccountConflict:
    return ForeignAccountConflict(
        status=409, method="POST", path="/Users", scim_type="uniqueness", detail=email
    )


def _run(plan: Plan, client: FakeClient, **kw: Any) -> Any:
    checked = check_applicable(fresh=plan)
    return asyncio.run(apply_plan(checked, client=client, **kw))  # type: ignore[arg-type]


def test_phases_run_in_r19_order() -> None:
    plan = _plan(
        DeleteGroup(key="old", id="g9", name="Old"),
        UpdateUser(email="gone@x.test", id="u8", active=(True, False)),
        CreateGroup(key="new", name="New", members=(MemberRef("a@x.test"),)),
        UpdateUser(email="back@x.test", id="u7", active=(False, True)),
        CreateUser(email="a@x.test", display_name="A"),
    )
    client = FakeClient()
    result = _run(plan, client)
    assert [kind for kind, _ in client.calls] == [
        "create_user",
        "update_user",
        "create_group",
        "update_user",
        "delete_group",
    ]
    assert client.calls[1][1][0] == "u7"  # the reactivation before the deactivation
    assert result.ok


def test_a_created_group_gets_the_ids_of_users_created_before_it() -> None:
    plan = _plan(
        CreateUser(email="a@x.test", display_name="A"),
        CreateGroup(
            key="t", name="T", members=(MemberRef("a@x.test"), MemberRef("b@x.test", "u5"))
        ),
    )
    client = FakeClient()
    _run(plan, client)
    assert ("create_group", ("T", ["u1", "u5"])) in client.calls


def test_a_failed_create_leaves_the_user_out_of_its_groups_and_the_run_goes_on_r17() -> None:
    plan = _plan(
        CreateUser(email="a@x.test", display_name="A"),
        CreateUser(email="robin@x.test", display_name="Robin"),
        CreateGroup(key="t", name="T", members=(MemberRef("a@x.test"), MemberRef("robin@x.test"))),
        UpdateGroup(key="s", id="g2", name="S", add_members=(MemberRef("robin@x.test"),)),
        UpdateUser(email="c@x.test", id="u3", active=(True, False)),
    )
    client = FakeClient(fail={"robin@x.test": _foreign("robin@x.test")})
    result = _run(plan, client)
    by_subject = {o.subject: o for o in result.outcomes}
    assert by_subject["robin@x.test"].status is Status.FAILED
    assert by_subject["t"].status is Status.DONE
    assert "without robin@x.test" in (by_subject["t"].message or "")
    assert ("create_group", ("T", ["u1"])) in client.calls
    # The update had nothing else to do: skipped with a reason, no request sent.
    assert by_subject["s"].status is Status.SKIPPED
    assert not any(kind == "patch_group" for kind, _ in client.calls)
    assert by_subject["c@x.test"].status is Status.DONE  # later phases still ran
    assert not result.ok


def test_a_group_whose_members_all_failed_is_not_created_r6() -> None:
    plan = _plan(
        CreateUser(email="robin@x.test", display_name="Robin"),
        CreateGroup(key="t", name="T", members=(MemberRef("robin@x.test"),)),
    )
    client = FakeClient(fail={"robin@x.test": _foreign("robin@x.test")})
    result = _run(plan, client)
    assert [o.status for o in result.outcomes] == [Status.FAILED, Status.SKIPPED]
    assert not any(kind == "create_group" for kind, _ in client.calls)


def test_a_server_error_on_one_user_does_not_stop_the_others() -> None:
    plan = _plan(
        UpdateUser(email="a@x.test", id="u1", display_name=("A", "Ann")),
        UpdateUser(email="b@x.test", id="u2", display_name=("B", "Bea")),
    )
    boom = ServerError(status=503, method="PATCH", path="/Users/u1", detail="down")
    result = _run(plan, FakeClient(fail={"u1": boom}))
    assert [o.status for o in result.outcomes] == [Status.FAILED, Status.DONE]


def test_concurrency_is_bounded_inside_a_phase() -> None:
    ops = [UpdateUser(email=f"{i}@x.test", id=f"u{i}", active=(False, True)) for i in range(20)]
    client = FakeClient(delay=0.01)
    _run(_plan(*ops), client, concurrency=3)
    assert client.max_in_flight == 3


def test_audit_events_use_directory_insights_names(tmp_path: Path) -> None:
    plan = _plan(
        CreateUser(email="a@x.test", display_name="A"),
        CreateUser(email="robin@x.test", display_name="Robin"),
        UpdateUser(email="c@x.test", id="u3", active=(True, False)),
        UpdateUser(email="d@x.test", id="u4", display_name=("D", "Dee")),
        DeleteGroup(key="old", id="g9", name="Old"),
    )
    client = FakeClient(fail={"robin@x.test": _foreign("robin@x.test")})
    with AuditLog(path=tmp_path / "a.jsonl", run_id="r") as log:
        _run(plan, client, audit=log)
    events = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert [(e["event_type"], e["resource"], e["success"]) for e in events] == [
        ("user_create_provision", "a@x.test", True),
        ("user_create_provision", "robin@x.test", False),
        ("user_update_provision", "d@x.test", True),
        ("user_deprovision", "c@x.test", True),
        ("group_delete_provision", "old", True),
    ]
    failed = events[1]
    assert failed["status"] == 409
    assert failed["error"]


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        _run(_plan(), FakeClient(), concurrency=0)


def test_an_unexpected_exception_fails_one_operation_not_the_run() -> None:
    plan = _plan(
        UpdateUser(email="a@x.test", id="u1", active=(False, True)),
        UpdateUser(email="b@x.test", id="u2", active=(True, False)),
        DeleteGroup(key="old", id="g9", name="Old"),
    )
    result = _run(plan, FakeClient(fail={"u1": RuntimeError("library bug")}))
    assert [o.status for o in result.outcomes] == [Status.FAILED, Status.DONE, Status.DONE]
    assert "unexpected RuntimeError" in (result.outcomes[0].message or "")
