"""The project-wide exception base: every error the engine raises on purpose derives from it.

The command line turns a `ReconcileError` into a one-line message (its `str()`), so every
subclass writes messages that say what went wrong and what to do, and never a secret.
"""

from __future__ import annotations


class ReconcileError(Exception):
    """Base of every deliberate error in reconcile; its message is shown to the user."""
