"""A destination's dead-letter list: a Redis Stream (`Keys.webhook_dead`) of the journal
entries it could not take, each with its journal id, the event, the last error, how many
attempts were made and when. Nothing leaves it but a successful `replay` (or `purge`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from eventstream.journal.keys import Keys

ENTRY = b"entry"
EVENT = b"event"
ERROR = b"error"
ATTEMPTS = b"attempts"
AT = b"at"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One dead letter: its own id in the list and what it holds."""

    id: str
    entry_id: str
    event: bytes
    error: str
    attempts: int
    at_ms: int


def _letter(raw_id: bytes, fields: dict[bytes, bytes]) -> DeadLetter:
    return DeadLetter(
        raw_id.decode(),
        fields.get(ENTRY, b"").decode(),
        fields.get(EVENT, b""),
        fields.get(ERROR, b"").decode("utf-8", "replace"),
        int(fields.get(ATTEMPTS, b"0") or 0),
        int(fields.get(AT, b"0") or 0),
    )


class DeadLetters:
    def __init__(self, redis: Redis, keys: Keys, destination: str) -> None:
        self.redis = redis
        self.key = keys.webhook_dead(destination)

    def add_to(self, pipe: Any, entry_id: str, event: bytes, error: str, attempts: int) -> None:
        """Queue one XADD on a pipeline (the caller acknowledges the entry in the same round
        trip, so a dead letter is written before its entry leaves the consumer group)."""
        fields = {
            ENTRY: entry_id.encode(),
            EVENT: event,
            ERROR: error.encode()[:2000],
            ATTEMPTS: str(attempts).encode(),
            AT: str(int(time.time() * 1000)).encode(),
        }
        pipe.xadd(self.key, fields)

    async def count(self) -> int:
        return int(await self.redis.xlen(self.key))

    async def page(self, after: str = "0-0", count: int = 500) -> list[DeadLetter]:
        rows = cast(
            list[tuple[bytes, dict[bytes, bytes]]],
            await self.redis.xrange(self.key, f"({after}", "+", count=count) or [],
        )
        return [_letter(raw_id, fields) for raw_id, fields in rows]

    async def remove(self, ids: Sequence[str]) -> None:
        if ids:
            await self.redis.xdel(self.key, *ids)

    async def note(self, letter: DeadLetter, error: str) -> None:
        """Record a failed replay on the letter: re-added with the new error, old one gone."""
        async with self.redis.pipeline(transaction=True) as pipe:
            self.add_to(pipe, letter.entry_id, letter.event, error, letter.attempts + 1)
            pipe.xdel(self.key, letter.id)
            await pipe.execute()
