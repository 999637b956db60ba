"""The snapshot's fast row check accepts exactly what its models accept.

`read_snapshot` validates a file as TypedDict rows (fast) and asks the models only when the
rows are refused, so the two must agree on every document: a document the rows accept and
the models refuse would load where it used to be an error. Hypothesis draws documents
around the valid shape (wrong types, missing and extra keys, empty ids).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from reconcile.live.snapshot import _ROWS, _Snapshot

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-1, max_value=2),
    st.just(1.0),
    st.text(max_size=2),
    st.lists(st.text(max_size=1), max_size=1),
)
_TEXT = st.text(max_size=2)  # often empty: ids must not be
_USER = st.fixed_dictionaries(
    {"id": _TEXT, "email": _TEXT, "display_name": _TEXT, "active": st.booleans()}
)
_GROUP = st.fixed_dictionaries(
    {"id": _TEXT, "name": _TEXT, "member_ids": st.lists(_TEXT, max_size=2)}
)
_VALID_SHAPE = st.fixed_dictionaries(
    {
        "format": st.just("reconcile-live-snapshot"),
        "version": st.just(1),
        "target": _TEXT,
        "users": st.lists(_USER, max_size=2),
        "groups": st.lists(_GROUP, max_size=2),
    }
)


def _containers(node: Any) -> list[Any]:
    """Every mapping and list in the document, the document first."""
    found = [node]
    children = node.values() if isinstance(node, dict) else node
    for child in children:
        if isinstance(child, dict | list):
            found += _containers(child)
    return found


@st.composite
def _documents(draw: st.DrawFn) -> Any:
    """A document of the valid shape with up to three changes: a value replaced by any
    scalar, a key removed, an unknown key added."""
    document = draw(_VALID_SHAPE)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        target = draw(st.sampled_from(_containers(document)))
        if isinstance(target, list):
            if target:
                target[draw(st.integers(0, len(target) - 1))] = draw(_SCALARS)
            continue
        key = draw(st.sampled_from([*target, "extra"]))
        action = draw(st.sampled_from(["replace", "remove"]))
        if action == "remove" and key in target:
            del target[key]
        else:
            target[key] = draw(_SCALARS)
    return document


def _accepted(check: Any, document: Any) -> bool:
    try:
        check(document)
    except ValidationError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(document=st.one_of(_documents(), _SCALARS))
def test_rows_and_models_accept_the_same_documents(document: Any) -> None:
    rows = _accepted(_ROWS.validate_python, document)
    assert rows == _accepted(_Snapshot.model_validate, document)
    if rows:
        assert _ROWS.validate_python(document) == _Snapshot.model_validate(document).model_dump()


def _valid() -> dict[str, Any]:
    return {
        "format": "reconcile-live-snapshot",
        "version": 1,
        "target": "t",
        "users": [{"id": "u1", "email": "a@x.test", "display_name": "A", "active": True}],
        "groups": [{"id": "g1", "name": "G", "member_ids": ["u1"]}],
    }


def test_a_valid_document_passes_both() -> None:
    # A property test whose examples all fail would prove nothing: one known-good case.
    assert _accepted(_ROWS.validate_python, _valid())
    assert _accepted(_Snapshot.model_validate, _valid())


@pytest.mark.parametrize(
    "change",
    [
        # what a lax check would let through
        lambda d: d["users"][0].update(active=1),
        lambda d: d["users"][0].update(active="true"),
        lambda d: d.update(version=2),
        lambda d: d["users"][0].update(id=""),
        lambda d: d["users"][0].update(email=""),
        lambda d: d["groups"][0].update(id=""),
        lambda d: d["groups"][0].update(member_ids=("u1",)),
        lambda d: d["groups"][0].update(member_ids=[1]),
        lambda d: d["users"][0].update(display_name=None),
        # unknown and missing keys
        lambda d: d.update(extra=1),
        lambda d: d["users"][0].update(extra=1),
        lambda d: d["groups"][0].update(extra=1),
        lambda d: d["users"][0].pop("active"),
        lambda d: d.pop("target"),
    ],
)
def test_both_refuse_each_known_mistake(change: Any) -> None:
    document = _valid()
    change(document)
    assert not _accepted(_ROWS.validate_python, document)
    assert not _accepted(_Snapshot.model_validate, document)
