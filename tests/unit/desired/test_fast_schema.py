"""The fast path's check of users (schema.FastUserSchema, then rows.valid_user_rows; issue
18) never accepts what the exact one refuses, and gives the same rows when it accepts."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from reconcile.desired.rows import UserRow, user_row, valid_user_rows
from reconcile.desired.schema import FastUserSchema, UserSchema, email_problem

_ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
_LOCAL = st.text(alphabet=_ATEXT + ".", min_size=0, max_size=70)
_LABEL = st.text(alphabet="abz09-", min_size=0, max_size=64)
_DOMAIN = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)
_EMAILS = st.one_of(
    st.builds(lambda local, domain: f"{local}@{domain}", _LOCAL, _DOMAIN),
    st.builds(lambda e, pad: pad + e + pad, st.just("ann@example.test"), st.sampled_from(
        [" ", "\u00a0", "\u3000", ""])),
    st.sampled_from(["ann@example.test", "Ann@Example.TEST", "a@b", "a@@b.c", "ä@b.co",
                     "a b@c.de", "a@b.c\n", "x" * 64 + "@example.test", "x" * 65 + "@ex.test",
                     "a@" + "b" * 250 + ".co"]),
    st.text(max_size=30),
)  # fmt: skip
_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.text(max_size=8),
    st.sampled_from(["2027-03-31", "2027-02-30", "de", "pt-BR", "EN", " "]),
)  # fmt: skip
_FIELDS = ("first_name", "last_name", "display_name", "suspended", "password_expired",
           "language", "expires", "mail")  # fmt: skip
_USERS = st.fixed_dictionaries({"email": _EMAILS}, optional=dict.fromkeys(_FIELDS, _VALUES))


def _fast(data: dict[str, Any]) -> UserRow | None:
    try:
        model = FastUserSchema.model_validate(data)
    except ValidationError:
        return None
    rows = valid_user_rows([model])
    return rows[0] if rows else None


def _exact(data: dict[str, Any]) -> UserRow | None:
    try:
        model = UserSchema.model_validate(data)
    except ValidationError:
        return None
    return None if model.name_problem() else user_row(model, 0)


@settings(max_examples=800)
@given(user=_USERS)
def test_the_fast_check_accepts_only_what_the_exact_one_accepts_alike(
    user: dict[str, Any],
) -> None:
    fast = _fast(user)
    if fast is not None:
        assert _exact(user) == fast


@settings(max_examples=800)
@given(email=_EMAILS)
def test_an_email_the_fast_check_takes_is_one_the_exact_check_takes_as_written(
    email: str,
) -> None:
    if _fast({"email": email, "display_name": "A"}) is not None:
        assert email_problem(email) is None
        assert email == email.strip()


def test_the_fast_check_leaves_to_the_exact_reader_what_only_it_explains() -> None:
    assert _fast({"email": "ann@example.test", "display_name": "A"}) is not None
    for email in (" ann@example.test", "ä@b.co", "a@b", "x" * 65 + "@ex.test"):
        assert _fast({"email": email, "display_name": "A"}) is None
    assert _fast({"email": "ann@example.test", "first_name": "A"}) is None  # R14
