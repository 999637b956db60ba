"""Client-side rate limiting: a token bucket plus a global pause for `Retry-After`.

A 429 means the service wants *every* request to wait, not only the one it refused, so
the pause is shared by all requests of a client: nothing is sent inside the window. The
bucket's rate is then lowered (multiplicative decrease) and climbs back slowly with each
success (additive increase) up to the configured ceiling, so a large apply settles just
below the service's limit instead of hammering it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

MIN_RATE = 1.0  # requests per second: never slower than this after lowering
_RECOVERY_STEPS = 20  # successes needed to climb back by one ceiling / 20


class RateLimiter:
    def __init__(
        self,
        *,
        rate: float | None,
        burst: float = 1.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (requests per second) or None")
        if burst < 1:
            raise ValueError("burst must be at least 1 request")
        # Burst 1 by default: requests leave evenly spaced, so a service with a small
        # bucket of its own never sees a volley.
        self._max_burst = burst
        self._ceiling = rate  # None: unlimited until the service objects
        self._rate = rate
        self._clock = clock
        self._sleep = sleep
        # One token to start with, whatever the burst: the bucket fills only while the
        # client is idle (between phases, R19), so a burst only catches up on requests the
        # service's own bucket also saved up, and never opens a run with a volley.
        self._tokens = 1.0
        self._updated = clock()
        self._paused_until = 0.0
        self._sent: deque[float] = deque()  # send times of the last second, for estimates
        self._release = 0.0
        self._lock = asyncio.Lock()

    @property
    def rate(self) -> float | None:
        """The current rate in requests per second (None: unlimited)."""
        return self._rate

    def _burst(self) -> float:
        return 1.0 if self._rate is None else max(1.0, min(self._max_burst, self._rate))

    def _refill(self, now: float) -> None:
        if self._rate is not None:
            self._tokens = min(self._burst(), self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    async def acquire(self, *, on_wait: Callable[[], None] | None = None) -> None:
        """Wait until a request may be sent: outside any pause, with a token available.
        `on_wait` is called before it has to wait at all (a listing then knows that the
        request is not on the wire yet, see gate.py)."""
        if on_wait is not None and self._lock.locked():
            on_wait()
        async with self._lock:  # one waiter at a time keeps the order fair (FIFO)
            while True:
                now = self._clock()
                if now < self._paused_until:
                    if on_wait is not None:
                        on_wait()
                    await self._sleep(self._paused_until - now)
                    continue
                if self._rate is None:
                    break
                self._refill(now)
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    break
                if on_wait is not None:
                    on_wait()
                await self._sleep((1.0 - self._tokens) / self._rate)
            now = self._clock()
            self._sent.append(now)
            while self._sent and self._sent[0] < now - 1.0:
                self._sent.popleft()

    def pause(self, seconds: float) -> None:
        """No request leaves before `seconds` from now (a later pause never shortens it)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def on_rate_limited(self) -> None:
        """Lower the rate after a 429: halve it, or start from half the observed rate."""
        now = self._clock()
        self._refill(now)
        if self._rate is None:
            recent = sum(1 for t in self._sent if t >= now - 1.0)
            self._rate = max(MIN_RATE, recent / 2.0)
            # Unlimited by configuration: lift the limit again once twice the observed
            # rate is reached without another 429.
            self._release = max(2.0 * MIN_RATE, float(recent) * 2.0)
        else:
            self._rate = max(MIN_RATE, self._rate / 2.0)
        self._tokens = min(self._tokens, self._burst())

    def on_success(self) -> None:
        """Climb back after a lowering: to the configured ceiling, or back to unlimited."""
        if self._rate is None:
            return
        self._refill(self._clock())
        if self._ceiling is not None:
            self._rate = min(self._ceiling, self._rate + self._ceiling / _RECOVERY_STEPS)
            return
        self._rate += max(MIN_RATE, self._rate / _RECOVERY_STEPS)
        if self._rate >= self._release:
            self._rate = None
