"""The journal's invariant, checked on a real Redis: no half-written commit."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from eventstream.journal.keys import Keys


async def consistent(client: Redis, keys: Keys) -> int:
    """Every journal entry has its dedup marker and its asset; each asset's version count is
    the number of its entries. Returns the number of entries."""
    rows: list[Any] = await client.xrange(keys.journal)  # type: ignore[assignment]
    per_subject: dict[bytes, int] = {}
    for journal_id, fields in rows:
        assert await client.get(keys.dedup(fields[b"eid"].decode())) == journal_id
        per_subject[fields[b"subject"]] = per_subject.get(fields[b"subject"], 0) + 1
    for subject, count in per_subject.items():
        version = await client.hget(keys.asset(subject.decode()), "version")
        assert version is not None
        assert int(version) == count
    return len(rows)
