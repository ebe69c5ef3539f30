"""Reconnection delays: the server's retry hint, capped exponential growth, jitter."""

from __future__ import annotations

import random

from eventstream.client import Backoff


def test_first_delay_is_the_retry_hint_with_jitter() -> None:
    """After a clean end the wait is the server's `retry:` less at most `jitter` of it."""
    backoff = Backoff(rng=random.Random(7))
    delays = [backoff.delay(3000) for _ in range(200)]
    assert all(1.5 <= delay <= 3.0 for delay in delays)
    assert max(delays) - min(delays) > 1.0  # spread, so clients do not return in step


def test_failures_double_the_delay_up_to_the_cap() -> None:
    """Each failure in a row doubles the base, never past `max_s`; success starts over."""
    backoff = Backoff(initial_s=1.0, max_s=8.0, jitter=0.0)
    seen = []
    for _ in range(6):
        backoff.failed()
        seen.append(backoff.delay())
    assert seen == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    backoff.succeeded()
    assert backoff.delay() == 1.0
    assert backoff.delay(retry_ms=250) == 0.25


def test_retry_after_is_a_floor() -> None:
    """A `Retry-After` longer than the computed delay wins."""
    backoff = Backoff(initial_s=0.1, jitter=0.0)
    assert backoff.delay(at_least_s=5.0) == 5.0
    assert backoff.delay(at_least_s=0.01) == 0.1
