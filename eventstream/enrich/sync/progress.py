"""Where an inventory sync is, kept in Redis so that an interrupted sync resumes.

A sync is a list of units (account, region, asset type). Each unit is marked done, with its
counts, once everything it observed is written; a sync that finishes removes the record. A
sync started while a record exists resumes that run: the units done are skipped, the unit that
was interrupted is synced again (its writes are idempotent: what was already seeded is then
unchanged).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from eventstream import codec
from eventstream.journal.keys import Keys

_DONE = "done:"


@dataclass(frozen=True, slots=True, order=True)
class Unit:
    account: str
    region: str  # `global` for global types
    asset_type: str

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.asset_type}"


@dataclass
class Run:
    """One sync run: its id, when it started, and the units already done with their counts."""

    id: str
    started: float
    done: dict[str, dict[str, Any]]
    resumed: bool


class ProgressStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys.sync_progress

    async def begin(self, now: float, *, restart: bool) -> Run:
        """The run in progress (resumed), or a new one (always new when `restart`)."""
        if not restart:
            stored: dict[Any, Any] = await self._redis.hgetall(self._key)
            run_id = stored.get(b"run")
            if run_id:
                done = {
                    k.decode()[len(_DONE) :]: codec.loads(v)
                    for k, v in stored.items()
                    if k.startswith(_DONE.encode())
                }
                started = float(stored.get(b"started", b"0") or 0)
                return Run(run_id.decode(), started, done, resumed=True)
        run = Run(uuid.uuid4().hex[:12], now, {}, resumed=False)
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._key)
        pipe.hset(self._key, mapping={"run": run.id, "started": repr(now)})
        await pipe.execute()
        return run

    async def mark(self, run: Run, unit: Unit, counts: dict[str, Any]) -> None:
        run.done[unit.key] = counts
        await self._redis.hset(self._key, _DONE + unit.key, codec.dumps(counts))

    async def finish(self, run: Run) -> None:
        await self._redis.delete(self._key)
