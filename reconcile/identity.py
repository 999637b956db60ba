"""R1, the one identity rule: every layer (loader, live models, planner, emulator) keys users
by `email_key`, so that two layers can never disagree on who a person is."""

from __future__ import annotations


def email_key(email: str) -> str:
    """R1: a user is their e-mail, compared case-insensitively after trimming.

    `lower()`, not `casefold()`: case folding also merges different addresses
    (`straße` and `strasse`), which would bind one person's access to another's account.
    """
    return email.strip().lower()
