"""R1 identity: an e-mail compared case-insensitively after trimming."""

from __future__ import annotations

from reconcile.identity import email_key


def test_r1_identity_ignores_case_but_does_not_fold_other_letters() -> None:
    assert email_key("  Jane.Doe@Example.TEST ") == "jane.doe@example.test"
    # casefold() would merge these two different mailboxes.
    assert email_key("straße@x.test") != email_key("strasse@x.test")
