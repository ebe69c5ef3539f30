"""The journal stream: trimming by age and length, and reading entries back.

Entries are written only by `commit.lua` (fields of `keys.py`: `event`, `subject`, `eid`). The
length bound is applied at each append (`XADD MAXLEN ~`), the age bound once per commit batch
(`XTRIM MINID ~`); both are approximate, so Redis trims whole nodes only and stays fast.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from eventstream import codec
from eventstream.config import JournalSettings
from eventstream.journal.keys import EVENT_FIELD, ID_FIELD, SUBJECT_FIELD, Keys

_PAGE = 1000


def oldest_id(max_age_s: int, now_s: float | None = None) -> str:
    """The smallest entry id still inside the age bound (ids start with milliseconds)."""
    now = time.time() if now_s is None else now_s
    return f"{max(0, int((now - max_age_s) * 1000))}-0"


async def trim(redis: Redis, keys: Keys, settings: JournalSettings) -> int:
    """Apply both bounds now; returns how many entries were removed."""
    removed = 0
    if settings.max_age_s:
        removed += await redis.xtrim(
            keys.journal, minid=oldest_id(settings.max_age_s), approximate=False
        )
    if settings.max_length:
        removed += await redis.xtrim(keys.journal, maxlen=settings.max_length, approximate=False)
    return removed


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journal entry: its stream id, the stored event bytes and the event parsed."""

    id: str
    subject: str
    eid: str
    raw: bytes

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = codec.loads(self.raw)
        return event


async def entries(redis: Redis, keys: Keys, after: str = "-") -> AsyncIterator[JournalEntry]:
    """Every entry after `after` (exclusive; "-" for the start), oldest first, read by pages."""
    start = after if after == "-" else f"({after}"
    while True:
        rows: Any = await redis.xrange(keys.journal, start, "+", count=_PAGE)
        for raw_id, fields in rows:
            yield JournalEntry(
                raw_id.decode(),
                fields[SUBJECT_FIELD].decode(),
                fields[ID_FIELD].decode(),
                fields[EVENT_FIELD],
            )
        if len(rows) < _PAGE:
            return
        start = f"({rows[-1][0].decode()}"
