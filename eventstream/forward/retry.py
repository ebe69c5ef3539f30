"""The retry schedule of a destination: the delay before each attempt of one delivery, varied
by jitter so that destinations and processes do not retry in step; a `Retry-After` from the
destination (429, 503) replaces the scheduled delay, up to `retry_after_max_s`."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from eventstream.config.webhooks import WebhookSettings


@dataclass(frozen=True, slots=True)
class Schedule:
    delays_s: tuple[float, ...]
    jitter: float = 0.0
    retry_after_max_s: float = 36000.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @classmethod
    def of(cls, settings: WebhookSettings) -> Schedule:
        return cls(
            tuple(settings.retry_schedule_s), settings.retry_jitter, settings.retry_after_max_s
        )

    def __len__(self) -> int:
        """Attempts a delivery gets before its events go to the dead-letter list."""
        return len(self.delays_s)

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait before attempt number `attempt` (0: the first)."""
        if retry_after_s is not None:
            return min(max(0.0, retry_after_s), self.retry_after_max_s)
        base = self.delays_s[attempt]
        if base <= 0 or self.jitter <= 0:
            return max(0.0, base)
        return base * (1 + self.rng.uniform(-self.jitter, self.jitter))
