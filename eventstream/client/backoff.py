"""How long to wait before reconnecting: capped exponential backoff with jitter, from the
server's `retry:` hint when it gave one."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["Backoff"]


@dataclass
class Backoff:
    """`delay()` after each attempt. The base is the server's `retry:` (ms) when it sent one,
    else `initial_s`; each failure in a row doubles it up to `max_s`; a connection that
    delivered something (`succeeded()`) starts over. `jitter` is the fraction taken off at
    random (0.5: between half and all of the delay), so clients do not return in step."""

    initial_s: float = 1.0
    max_s: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def failed(self) -> None:
        self.failures += 1

    def succeeded(self) -> None:
        self.failures = 0

    def delay(self, retry_ms: int | None = None, at_least_s: float = 0.0) -> float:
        """Seconds to wait now; `at_least_s` is a floor (a `Retry-After` header)."""
        base = retry_ms / 1000 if retry_ms is not None else self.initial_s
        exponent = max(0, self.failures - 1)
        capped = min(self.max_s, base * self.multiplier**exponent)
        return max(at_least_s, capped * (1 - self.jitter * self.rng.random()))
