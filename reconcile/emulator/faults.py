"""Fault injection state: the live `Faults` settings, a token bucket and a RNG."""

from __future__ import annotations

import math
import random
import threading
import time
from typing import Any

from reconcile.emulator.config import Faults


class FaultState:
    """Thread-safe holder of the current faults (changed at run time by the control API)."""

    def __init__(self, faults: Faults, *, rng: random.Random | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults.updated()
        self._rng = rng or random.Random()
        self._tokens = float(faults.rate_limit_burst)
        self._stamp = time.monotonic()

    def reseed(self, seed: int) -> None:
        """Make the faults that are rolled (errors, drops, jitter) repeatable, for tests
        that must see a given amount of them."""
        with self._lock:
            self._rng = random.Random(seed)

    @property
    def faults(self) -> Faults:
        with self._lock:
            return self._faults.updated()

    def update(self, **changes: Any) -> Faults:
        with self._lock:
            self._faults = self._faults.updated(**changes)
            # A new limit starts with a full bucket.
            self._tokens = float(self._faults.rate_limit_burst)
            self._stamp = time.monotonic()
            return self._faults.updated()

    def replace(self, faults: Faults) -> Faults:
        return self.update(**faults.as_dict())

    def take_token(self) -> float | None:
        """None when the request may go on, else the seconds until a token is back."""
        with self._lock:
            rps = self._faults.rate_limit_rps
            if rps is None:
                return None
            stamp = time.monotonic()
            burst = float(self._faults.rate_limit_burst)
            self._tokens = min(burst, self._tokens + (stamp - self._stamp) * rps)
            self._stamp = stamp
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return (1.0 - self._tokens) / rps

    def delay_seconds(self) -> float:
        with self._lock:
            f = self._faults
            jitter = self._rng.uniform(0.0, f.jitter_ms) if f.jitter_ms else 0.0
            return (f.latency_ms + jitter) / 1000.0

    def roll_error(self) -> bool:
        with self._lock:
            return self._faults.error_rate > 0 and self._rng.random() < self._faults.error_rate

    def roll_drop(self) -> bool:
        with self._lock:
            return self._faults.drop_rate > 0 and self._rng.random() < self._faults.drop_rate

    def slow_page_seconds(self) -> float:
        with self._lock:
            return self._faults.slow_page_ms / 1000.0


def retry_after_header(wait_seconds: float) -> str:
    """Retry-After is whole seconds (RFC 9110), at least 1."""
    return str(max(1, math.ceil(wait_seconds)))
