"""R24 in the report: the expiry seam reads the desired model's `expires` and `expiries`.

The expiry rule's model (a user's `expires`, a group's `expiries`, each an Expiry with `at`)
is stood in for by plain objects with those attributes; today's model has neither, and
then nothing expires.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from reconcile.report.expiry import (
    DEFAULT_WARNING,
    membership_expires,
    user_expires,
    warning_window,
)
from reconcile.report.model import State, _expiry_state
from tests.unit.plan.builders import desired, dg, du

NOW = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 3, 10, tzinfo=UTC)


def test_r24_user_and_membership_expiry_are_read_from_the_model() -> None:
    user = cast(Any, SimpleNamespace(expires=SimpleNamespace(at=END, text="2026-03-09")))
    group = cast(Any, SimpleNamespace(expiries={"ann@example.test": SimpleNamespace(at=END)}))
    assert user_expires(user) == END
    assert membership_expires(group, "ann@example.test") == END
    assert membership_expires(group, "bob@example.test") is None


def test_todays_model_has_no_expiry() -> None:
    state = desired([du("ann@example.test")], [dg("eng", None, ["ann@example.test"])])
    assert user_expires(state.users["ann@example.test"]) is None
    assert membership_expires(state.groups["eng"], "ann@example.test") is None
    assert warning_window(state.tenant) == DEFAULT_WARNING


def test_r24_tenant_warning_days_set_the_window() -> None:
    assert warning_window(cast(Any, SimpleNamespace(expiry_warning_days=7))) == timedelta(days=7)


def test_r24_states_expiring_soon_and_expired() -> None:
    window = timedelta(days=30)
    assert _expiry_state(State.ACTIVE, END, now=NOW, window=window) is State.EXPIRING_SOON
    assert _expiry_state(State.ACTIVE, NOW, now=NOW, window=window) is State.INACTIVE
    assert _expiry_state(State.ACTIVE, END, now=NOW, window=timedelta(days=1)) is State.ACTIVE
    assert _expiry_state(State.SUSPENDED, END, now=NOW, window=window) is State.SUSPENDED
    assert _expiry_state(State.ACTIVE, None, now=NOW, window=window) is State.ACTIVE
