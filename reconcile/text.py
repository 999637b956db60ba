"""Small wording helpers shared by messages, reasons and reports."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """`1 user`, `3 users`: a count with its noun, for one-line messages."""
    return f"{count} {word}{'' if count == 1 else 's'}"
