"""An answer that arrives but cannot be read is a LiveError, never a raw httpx error.

Found in review: a corrupt compressed body escaped as httpx.DecodingError and aborted a
whole apply. A create whose answer is unreadable is settled by a look-up (R17).
"""

from __future__ import annotations

import httpx
import pytest

from reconcile.live.errors import UnexpectedResponseError
from tests.unit.live.fakes import FakeScim
from tests.unit.live.test_client import run


def _corrupt_gzip(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/scim+json"},
        content=b"this is not gzip",
    )


def test_an_unreadable_answer_to_a_patch_is_an_unexpected_response() -> None:
    fake = FakeScim()
    uid = fake.add_user("a@example.test", "A")
    fake.script.append(_corrupt_gzip)
    with pytest.raises(UnexpectedResponseError, match="could not be read"):
        run(fake, lambda c: c.update_user(user_id=uid, active=False))
    assert len(fake.requests("PATCH")) == 1  # not repeated blindly


def test_an_unreadable_answer_to_a_create_is_settled_by_lookup_r17() -> None:
    fake = FakeScim()

    def create_then_corrupt(request: httpx.Request) -> httpx.Response | None:
        fake.add_user("new@example.test", "New Person")  # the service did create it
        return _corrupt_gzip(request)

    fake.script.append(create_then_corrupt)
    new_id = run(
        fake,
        lambda c: c.create_user(email="new@example.test", display_name="New Person", active=True),
    )
    assert fake.users[new_id]["userName"] == "new@example.test"
    assert len(fake.requests("POST")) == 1  # found by the look-up, not sent again
