"""A destination's delivery state in Redis (`Keys.webhook_state`), shared by every forwarder
process of the deployment and read by `eventstream webhooks status`."""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from eventstream.journal.keys import Keys

LAST_SUCCESS = "last_success_ms"
LAST_ERROR = "last_error"
LAST_ERROR_AT = "last_error_ms"
DELIVERED = "delivered"
DEAD = "dead_lettered"
DISABLED = "disabled"
DISABLED_AT = "disabled_ms"
TRIM_GAPS = "trim_gaps"
TRIMMED_UNREAD = "trimmed_unread"
LAST_TRIM = "last_trim"
LAST_TRIM_AT = "last_trim_ms"


def now_ms() -> int:
    return int(time.time() * 1000)


class DestinationState:
    def __init__(self, redis: Redis, keys: Keys, destination: str) -> None:
        self.redis = redis
        self.key = keys.webhook_state(destination)

    def success_to(self, pipe: Any, delivered: int) -> None:
        pipe.hset(self.key, LAST_SUCCESS, now_ms())
        pipe.hincrby(self.key, DELIVERED, delivered)

    def dead_to(self, pipe: Any, count: int) -> None:
        pipe.hincrby(self.key, DEAD, count)

    async def error(self, error: str) -> None:
        await self.redis.hset(self.key, mapping={LAST_ERROR: error[:2000], LAST_ERROR_AT: now_ms()})

    async def trimmed(self, gap_range: str, count: int | None) -> None:
        """Entries trimmed before this destination read them (`count`: if Redis can tell)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(self.key, TRIM_GAPS, 1)
            if count:
                pipe.hincrby(self.key, TRIMMED_UNREAD, count)
            pipe.hset(self.key, mapping={LAST_TRIM: gap_range, LAST_TRIM_AT: now_ms()})
            await pipe.execute()

    async def disable(self, reason: str) -> None:
        await self.redis.hset(self.key, mapping={DISABLED: reason[:2000], DISABLED_AT: now_ms()})

    async def enable(self) -> bool:
        return bool(await self.redis.hdel(self.key, DISABLED, DISABLED_AT))

    async def disabled(self) -> str:
        value: Any = await self.redis.hget(self.key, DISABLED)
        return value.decode("utf-8", "replace") if value else ""

    async def read(self) -> dict[str, str]:
        raw: Any = await self.redis.hgetall(self.key)
        return {key.decode(): value.decode("utf-8", "replace") for key, value in raw.items()}
