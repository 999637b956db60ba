"""Unit tests of the rate limiter (fake clock) and of Retry-After parsing."""

from __future__ import annotations

import asyncio

import pytest

from reconcile.live.ratelimit import RateLimiter
from reconcile.live.retry import RetryPolicy, parse_retry_after


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def sends(limiter: RateLimiter, t: FakeTime, n: int) -> list[float]:
    async def main() -> list[float]:
        times = []
        for _ in range(n):
            await limiter.acquire()
            times.append(t.now)
        return times

    return asyncio.run(main())


def test_token_bucket_spaces_requests_at_the_rate() -> None:
    t = FakeTime()
    limiter = RateLimiter(rate=4.0, clock=t.clock, sleep=t.sleep)
    times = sends(limiter, t, 9)
    # evenly spaced by default: one every 0.25 s
    assert times == pytest.approx([100.0 + 0.25 * i for i in range(9)])
    bursty = RateLimiter(rate=4.0, burst=4.0, clock=t.clock, sleep=t.sleep)
    t.now = 200.0
    times = sends(bursty, t, 9)
    assert times[:4] == [200.0] * 4  # a burst of 4, then one every 0.25 s
    assert times[8] == pytest.approx(201.25)


def test_a_burst_is_saved_up_while_idle_never_spent_at_the_start() -> None:
    """A new client does not know how full the service's bucket is (the fetch before an
    apply may have drained it): it opens with one request, spaced like burst 1. Only idle
    time (a phase boundary) saves up tokens, at most `burst`, to catch up after it."""
    t = FakeTime()
    limiter = RateLimiter(rate=4.0, burst=3.0, clock=t.clock, sleep=t.sleep)
    assert sends(limiter, t, 3) == pytest.approx([100.0, 100.25, 100.5])
    t.now += 0.5  # idle for two request slots: two tokens saved up
    assert sends(limiter, t, 4) == pytest.approx([101.0, 101.0, 101.25, 101.5])
    t.now += 60.0  # a long pause saves up no more than the burst
    assert sends(limiter, t, 4) == pytest.approx([161.5, 161.5, 161.5, 161.75])


def test_no_request_inside_a_pause() -> None:
    t = FakeTime()
    limiter = RateLimiter(rate=None, clock=t.clock, sleep=t.sleep)
    limiter.pause(2.5)
    limiter.pause(1.0)  # a shorter pause never shortens the window
    assert sends(limiter, t, 2) == [102.5, 102.5]


def test_on_wait_is_called_only_when_a_request_has_to_wait() -> None:
    """A listing's request that waits here is not on the wire, so parsing may run (gate.py)."""
    t = FakeTime()
    limiter = RateLimiter(rate=4.0, clock=t.clock, sleep=t.sleep)
    waits: list[float] = []

    async def main() -> None:
        for _ in range(3):
            await limiter.acquire(on_wait=lambda: waits.append(t.now))
        limiter.pause(1.0)
        await limiter.acquire(on_wait=lambda: waits.append(t.now))

    asyncio.run(main())
    # The first had a token; the next two waited for theirs; the last waited out a pause.
    assert waits == pytest.approx([100.0, 100.25, 100.5])
    assert len(t.sleeps) == 3


def test_a_429_halves_the_rate_and_successes_climb_back_to_the_ceiling() -> None:
    t = FakeTime()
    limiter = RateLimiter(rate=10.0, clock=t.clock, sleep=t.sleep)
    limiter.on_rate_limited()
    assert limiter.rate == 5.0
    for _ in range(100):
        limiter.on_success()
    assert limiter.rate == 10.0


def test_an_unlimited_client_starts_from_half_the_observed_rate() -> None:
    t = FakeTime()
    limiter = RateLimiter(rate=None, clock=t.clock, sleep=t.sleep)
    sends(limiter, t, 30)
    limiter.on_rate_limited()
    assert limiter.rate == 15.0
    successes = next(n for n in range(1, 100) if _lifted_after_success(limiter))
    assert 5 < successes < 40  # back to unlimited once 60 rps is reached


def test_retry_after_seconds_and_http_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    when = "Wed, 21 Oct 2015 07:28:07 GMT"
    assert parse_retry_after(when, date_header="Wed, 21 Oct 2015 07:28:00 GMT") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # long past


def test_backoff_grows_exponentially_within_bounds() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.0)
    assert [policy.backoff(retry=n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    jittered = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.5)
    assert all(0.5 <= jittered.backoff(retry=1) <= 1.0 for _ in range(50))


def _lifted_after_success(limiter: RateLimiter) -> bool:
    limiter.on_success()
    return limiter.rate is None
