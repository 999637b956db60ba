"""A secret value that cannot leak by accident: its repr and str are redacted."""

from __future__ import annotations

from typing import Final

_REDACTED: Final = "***"


class Secret:
    """Holds a token; `reveal()` is the only way to read it, and is used only for headers."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_REDACTED!r})"

    def __str__(self) -> str:
        return _REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Never pickled (and so never written to a cache or a file) with its value.
        raise TypeError("a Secret cannot be pickled")
