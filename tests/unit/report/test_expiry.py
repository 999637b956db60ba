"""R24 in the report: users and memberships expiring soon, or past their expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from reconcile.desired.model import Desired, DesiredGroup, DesiredUser, Expiry, Tenant
from reconcile.plan import Policy, plan
from reconcile.report import State, build_report
from reconcile.report.expiry import membership_expires, user_expires, warning_window
from reconcile.report.render import render_html, render_markdown
from tests.unit.plan.builders import lg, live, lu

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def expiry(days: float) -> Expiry:
    at = NOW + timedelta(days=days)
    return Expiry(at=at, text=at.isoformat())


def report_of(
    users: list[DesiredUser], group: DesiredGroup, *, warning_days: int = 7
) -> dict[str, State]:
    state = Desired.build(
        tenant=Tenant(expiry_warning_days=warning_days), users=users, groups=[group]
    )
    now_live = live([lu(f"u{i}", u.email) for i, u in enumerate(users)])
    report = build_report(
        desired=state, live=now_live, plan=plan(state, now_live, Policy(now=NOW)),
        history=None, history_note=None, period_start=None, now=NOW,
    )  # fmt: skip
    return {row.email: row.state for row in report.rows}


def test_r24_user_expiring_within_the_warning_is_expiring_soon() -> None:
    users = [
        DesiredUser(email="ann@example.test", display_name="Ann", expires=expiry(3)),
        DesiredUser(email="bob@example.test", display_name="Bob", expires=expiry(30)),
    ]
    group = DesiredGroup(key="eng", name="Eng", members=("ann@example.test", "bob@example.test"))
    states = report_of(users, group)
    assert states == {"ann@example.test": State.EXPIRING_SOON, "bob@example.test": State.ACTIVE}
    assert report_of(users, group, warning_days=60)["bob@example.test"] is State.EXPIRING_SOON


def test_r24_membership_expiry_marks_its_row_and_a_passed_one_is_inactive() -> None:
    users = [DesiredUser(email="ann@example.test", display_name="Ann"),
             DesiredUser(email="bob@example.test", display_name="Bob")]  # fmt: skip
    group = DesiredGroup(
        key="eng", name="Eng", members=("ann@example.test", "bob@example.test"),
        expiries=MappingProxyType({"ann@example.test": expiry(2), "bob@example.test": expiry(-1)}),
    )  # fmt: skip
    states = report_of(users, group)
    assert states == {"ann@example.test": State.EXPIRING_SOON, "bob@example.test": State.INACTIVE}


def test_the_seam_reads_the_model() -> None:
    user = DesiredUser(email="ann@example.test", display_name="Ann", expires=expiry(1))
    group = DesiredGroup(key="eng", name="Eng", members=("ann@example.test",),
                         expiries=MappingProxyType({"ann@example.test": expiry(2)}))  # fmt: skip
    assert user_expires(user) == NOW + timedelta(days=1)
    assert membership_expires(group, "ann@example.test") == NOW + timedelta(days=2)
    assert membership_expires(group, "bob@example.test") is None
    assert warning_window(Tenant()) == timedelta(days=7)


def test_r24_the_page_and_markdown_say_when_access_ends() -> None:
    user = DesiredUser(email="ann@example.test", display_name="Ann", expires=expiry(3))
    state = Desired.build(
        users=[user], groups=[DesiredGroup(key="eng", name="Eng", members=("ann@example.test",))]
    )
    now_live = live([lu("u1", "ann@example.test", "Ann")], [lg("g1", "Eng", ["u1"])])
    report = build_report(
        desired=state, live=now_live, plan=plan(state, now_live, Policy(now=NOW)),
        history=None, history_note=None, period_start=None, now=NOW,
    )  # fmt: skip
    assert "ends 2026-03-04 00:00 UTC" in render_html(report)
    assert "expiring soon, ends 2026-03-04 00:00 UTC" in render_markdown(report)
