"""R21: the live fingerprint is the same across versions of the engine, so that a plan
saved by an earlier version (CI posts the plan, a merge applies it later) is still
recognised as current when nothing changed. The values below were computed by the
version that serialized every row at fingerprint time; each user and group now derives
its own part when it is built (canonical.py), and must give the same bytes."""

from __future__ import annotations

import dataclasses

from reconcile.fingerprint import live_fingerprint
from reconcile.live.model import Live, LiveGroup, LiveUser


def test_the_live_fingerprint_of_a_plain_state_is_unchanged() -> None:
    live = Live.build(
        users=[
            LiveUser("u2", "b@example.test", "Bo B", False),
            LiveUser("u1", "a@example.test", "Al A", True),
        ],
        groups=[LiveGroup("g1", "Eng", frozenset({"u2", "u1"})), LiveGroup("g0", "Empty")],
    )
    expected = "c2815984dab0582400f46ebba37ea939375b13df269b15a9a4d1445b7265ce5b"
    assert live.fingerprint == live_fingerprint(live) == expected


def test_values_holding_the_separators_fall_back_to_json_as_before() -> None:
    live = Live.build(
        users=[
            LiveUser("u1", "a@example.test", "A\x1fB", True),
            LiveUser("u2", "b@example.test", "B\x1e", False),
        ],
        groups=[LiveGroup("g1", "G", frozenset({"u1", "u\x1f2"}))],
    )
    expected = "42b5143f45060c899a2bff26f7155f0cafb22ff3e6ddd0c87e64ad4ca179a132"
    assert live.fingerprint == expected


def test_a_separator_in_a_name_cannot_make_two_states_look_alike() -> None:
    # "A\x1f1" as one name vs. the same characters split across two fields.
    one = Live.build(users=[LiveUser("u1", "a@example.test", "A\x1f1", True)])
    two = Live.build(users=[LiveUser("u1", "a@example.test\x1fA", "1", True)])
    assert one.fingerprint != two.fingerprint


def test_the_derived_parts_do_not_take_part_in_equality() -> None:
    user = LiveUser("u1", "a@example.test", "Al A", True)
    group = LiveGroup("g1", "Eng", frozenset({"u1"}))
    assert user == dataclasses.replace(user)
    assert group == LiveGroup("g1", "Eng", frozenset({"u1"}))
    assert "fingerprint" not in repr(user) + repr(group)


def test_the_desired_fingerprint_is_unchanged_too() -> None:
    """Computed by the version before the fingerprint code moved out of fingerprint.py."""
    from reconcile.desired.model import Desired, DesiredGroup, DesiredUser
    from reconcile.fingerprint import desired_fingerprint

    odd = Desired.build(
        users=[DesiredUser(email="a@x.test", first_name="A\x1fB", display_name="Q", language="de")],
        groups=[
            DesiredGroup(key="g", name="G", members=("a@x.test", "b\x1f"), renamed_from=("Old",))
        ],
    )
    expected = "1f885be942f9495403b30d4eb3c3928d419bc50d5841da9261867a29f193d598"
    assert odd.fingerprint == desired_fingerprint(odd) == expected
