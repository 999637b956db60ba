"""Every operation type says what it is about, what kind it is and how the audit log names it."""

from __future__ import annotations

from typing import get_args

from reconcile.audit import EventType
from reconcile.plan.model import (
    CreateGroup,
    CreateUser,
    DeleteGroup,
    Kind,
    MemberRef,
    Operation,
    UpdateGroup,
    UpdateUser,
)

ONE_OF_EACH: list[Operation] = [
    CreateUser(email="New@X.test", display_name="New"),
    UpdateUser(email="a@x.test", id="u1", display_name=("A", "B")),
    UpdateUser(email="b@x.test", id="u2", active=(False, True)),
    UpdateUser(email="c@x.test", id="u3", active=(True, False)),
    CreateGroup(key="eng", name="Eng", members=(MemberRef("a@x.test", "u1"),)),
    UpdateGroup(key="ops", id="g1", name="Ops", rename=("Op", "Ops")),
    DeleteGroup(key="old", id="g2", name="Old"),
]


def test_one_of_each_covers_every_operation_type() -> None:
    assert {type(op) for op in ONE_OF_EACH} == set(get_args(Operation))


def test_subjects_are_the_email_or_the_group_key() -> None:
    assert [op.subject for op in ONE_OF_EACH] == [
        "New@X.test",
        "a@x.test",
        "b@x.test",
        "c@x.test",
        "eng",
        "ops",
        "old",
    ]
    assert [op.subject_label for op in ONE_OF_EACH][-3:] == ["group eng", "group ops", "group old"]
    assert ONE_OF_EACH[0].subject_label == "New@X.test"


def test_kinds_tell_deactivations_and_reactivations_apart() -> None:
    assert [op.kind for op in ONE_OF_EACH] == [
        Kind.CREATE_USER,
        Kind.UPDATE_USER,
        Kind.REACTIVATE_USER,
        Kind.DEACTIVATE_USER,
        Kind.CREATE_GROUP,
        Kind.UPDATE_GROUP,
        Kind.DELETE_GROUP,
    ]


def test_audit_event_names_are_directory_insights_names() -> None:
    assert [str(op.audit_event) for op in ONE_OF_EACH] == [
        "user_create_provision",
        "user_update_provision",
        "user_update_provision",
        "user_deprovision",
        "group_create_provision",
        "group_update_provision",
        "group_delete_provision",
    ]
    assert all(isinstance(op.audit_event, EventType) for op in ONE_OF_EACH)
