"""How an emulator instance behaves: tokens, storage, quirks, limits and faults.

`EmulatorConfig` is fixed for the life of an app; `Faults` is the one part that can
change at run time (`PUT /_emulator/faults`), so it is a small mutable dataclass that
the app owns a copy of.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

READ = "read"
WRITE = "write"
SCOPES = frozenset({READ, WRITE})

# TeamViewer does not document a page size cap; 1000 keeps a single list answer small
# enough to be fast while forcing clients to page by `totalResults` on big tenants.
DEFAULT_MAX_PAGE_SIZE = 1000
# Counted per member value in a group PATCH (see docs/emulator.md); the engine chunks
# member changes past this limit.
DEFAULT_MAX_PATCH_OPERATIONS = 1000
# The orders a listing can be served in. "creation" is what the engine relies on when a
# tenant grows while it is read (new resources appear only after the ones already listed);
# "name" is another stable order, in which a new resource can land on a page already read,
# so that the engine's re-read and refusal path can be tested.
LIST_ORDERS = ("creation", "name")


class ConfigError(ValueError):
    """A configuration value is out of range; the message names the setting."""


@dataclass(slots=True)
class Faults:
    """Injected misbehaviour, applied to SCIM requests only (never the control API).

    latency_ms + a uniform 0..jitter_ms delay on every request; a token bucket of
    `rate_limit_rps` refilled per second holding `rate_limit_burst` tokens (429 with
    Retry-After when empty; None = no limit); `error_rate` probability of a 503 before
    any work is done; `drop_rate` probability that a write is committed and the
    connection is then dropped without an answer; `slow_page_ms` extra delay on list
    (collection GET and .search) answers.
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit_rps: float | None = None
    rate_limit_burst: int = 1
    error_rate: float = 0.0
    drop_rate: float = 0.0
    slow_page_ms: float = 0.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        for name in ("latency_ms", "jitter_ms", "slow_page_ms"):
            if getattr(self, name) < 0:
                raise ConfigError(f"faults.{name} must be >= 0")
        for name in ("error_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"faults.{name} must be a probability between 0 and 1")
        if self.rate_limit_rps is not None and self.rate_limit_rps <= 0:
            raise ConfigError("faults.rate_limit_rps must be > 0 (or null to turn it off)")
        if self.rate_limit_burst < 1:
            raise ConfigError("faults.rate_limit_burst must be >= 1")

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def updated(self, **changes: Any) -> Faults:
        """A validated copy with `changes` applied (unknown names raise ConfigError)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(
                f"unknown fault setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """Settings of one emulator app (see docs/emulator.md).

    tokens: bearer token -> scopes ("read", "write"). The control API needs "write".
    db_path: SQLite file, or None for a private in-memory database.
    rfc_strict: turn the TeamViewer quirks off (plain RFC 7644 behaviour).
    max_create_members: most members a group POST or PUT may carry (None: no limit).
    list_order: "creation" (the default, like TeamViewer) or "name" (see LIST_ORDERS).
    """

    tokens: Mapping[str, frozenset[str]]
    db_path: str | None = None
    rfc_strict: bool = False
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE
    max_patch_operations: int = DEFAULT_MAX_PATCH_OPERATIONS
    max_create_members: int | None = None
    list_order: str = "creation"
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        if self.max_page_size < 1:
            raise ConfigError("max_page_size must be >= 1")
        if self.max_patch_operations < 1:
            raise ConfigError("max_patch_operations must be >= 1")
        if self.max_create_members is not None and self.max_create_members < 1:
            raise ConfigError("max_create_members must be >= 1 (or unset for no limit)")
        if self.list_order not in LIST_ORDERS:
            raise ConfigError(f"list_order must be one of {', '.join(LIST_ORDERS)}")
        for token, scopes in self.tokens.items():
            if not token:
                raise ConfigError("tokens: an empty token is not allowed")
            bad = sorted(set(scopes) - SCOPES)
            if bad:
                raise ConfigError(
                    f"tokens: unknown scope(s) {', '.join(bad)}; use read and/or write"
                )

    def __repr__(self) -> str:
        # Tokens are secrets: never in reprs, logs or errors.
        return (
            f"EmulatorConfig(tokens=<{len(self.tokens)} hidden>, db_path={self.db_path!r}, "
            f"rfc_strict={self.rfc_strict}, max_page_size={self.max_page_size}, "
            f"max_patch_operations={self.max_patch_operations}, "
            f"max_create_members={self.max_create_members}, list_order={self.list_order!r}, "
            f"faults={self.faults!r})"
        )
