"""The create-then-settle helper shared by user and group creates (R17), through the
client's group create: the paths the user tests in test_client.py take for users."""

from __future__ import annotations

import pytest

from reconcile.live.errors import Conflict, UnknownOutcomeError
from tests.unit.live.fakes import FakeScim, answer, drop, passthrough
from tests.unit.live.test_client import run


def test_r17_a_dropped_group_create_that_did_not_land_is_sent_again() -> None:
    fake = FakeScim()
    fake.add_group("Other", [])
    fake.script = [drop]  # lost before the service acted
    gid = run(fake, lambda c: c.create_group(name="Eng"))
    assert fake.groups[gid]["displayName"] == "Eng"
    assert [s.method for s in fake.seen] == ["POST", "GET", "POST"]
    assert fake.seen[1].params["filter"] == 'displayName eq "Eng"'
    assert len(fake.groups) == 2


def test_a_lost_group_create_whose_look_up_fails_is_an_unknown_outcome() -> None:
    fake = FakeScim()
    fake.script = [drop, answer(500)]
    with pytest.raises(UnknownOutcomeError) as info:
        run(fake, lambda c: c.create_group(name="Eng"))
    message = str(info.value)
    assert message.startswith("creating group 'Eng': the outcome is unknown (")
    assert message.endswith("; run plan again")
    assert len(fake.requests("POST")) == 1


def test_a_group_create_lost_every_time_gives_up_within_the_budget() -> None:
    fake = FakeScim()
    fake.script = [drop, passthrough] * 4  # every POST lost, every look-up answered
    with pytest.raises(UnknownOutcomeError, match="no such group was found and the retry"):
        run(fake, lambda c: c.create_group(name="Eng"))
    assert len(fake.requests("POST")) == 4  # FAST.max_attempts
    assert fake.groups == {}


def test_a_409_on_a_group_create_is_the_services_conflict_as_it_is() -> None:
    fake = FakeScim()
    fake.script = [answer(409)]
    with pytest.raises(Conflict) as info:
        run(fake, lambda c: c.create_group(name="Eng"))
    assert info.value.detail == "injected"
    assert [s.method for s in fake.seen] == ["POST"]  # a group's 409 is not settled by a look-up
