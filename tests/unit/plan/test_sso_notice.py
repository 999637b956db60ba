"""The plan says once when tenant.sso_customer_id cannot be sent (issue 14 item 2)."""

from __future__ import annotations

from reconcile.desired.model import Desired, Tenant
from reconcile.plan import Policy, plan
from reconcile.plan.model import NoticeKind
from reconcile.plan.planner import SSO_NOT_SENT
from tests.unit.plan.builders import dg, du, live


def with_sso(sso: str | None) -> Desired:
    return Desired.build(
        tenant=Tenant(sso_customer_id=sso),
        users=[du("a@x.test"), du("b@x.test")],
        groups=[dg("eng", "Eng", ["a@x.test", "b@x.test"])],
    )


def test_one_notice_when_the_service_lacks_the_extension() -> None:
    result = plan(with_sso("sso-1"), live(), Policy(target="t", sso_extension=False))
    notices = result.notices_of(NoticeKind.SSO_NOT_SENT)
    assert [(n.subject, n.message) for n in notices] == [("tenant.sso_customer_id", SSO_NOT_SENT)]
    assert result.summary.create_user == 2  # the users are still created


def test_no_notice_when_supported_or_not_set() -> None:
    supported = plan(with_sso("sso-1"), live(), Policy(target="t"))
    unset = plan(with_sso(None), live(), Policy(target="t", sso_extension=False))
    assert not supported.notices_of(NoticeKind.SSO_NOT_SENT)
    assert not unset.notices_of(NoticeKind.SSO_NOT_SENT)
