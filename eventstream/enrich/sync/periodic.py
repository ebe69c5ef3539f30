"""The inventory sync run every `[sync] interval_s` from `serve` and `ingest`.

Every replica runs this loop; the sync's lock lets one replica sync at a time, and the time of
the last finished sync (kept in Redis) makes the others skip their turn, so a deployment syncs
about once per interval whatever its number of replicas. A failed sync is logged and tried
again at the next interval; the loop never takes its process down. `stop()` ends it at once:
a sync in progress is cancelled between or within writes (each is atomic) and resumes at the
next run of any replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from eventstream.config import Settings
from eventstream.enrich.sync.setup import inventory_sync
from eventstream.errors import EventStreamError, SyncError
from eventstream.journal.keys import Keys

log = logging.getLogger(__name__)


class PeriodicSync:
    def __init__(
        self,
        settings: Settings,
        *,
        redis: Redis,
        keys: Keys,
        redis_url: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._redis = redis
        self._keys = keys
        self._redis_url = redis_url
        self._clock = clock
        self._interval_s = settings.sync.interval_s
        self._stopped = asyncio.Event()
        self.runs = 0  # syncs this process finished

    def stop(self) -> None:
        self._stopped.set()

    async def run(self) -> None:
        """Sync now if the deployment's last sync is older than the interval, then again each
        interval, until `stop()`."""
        while not self._stopped.is_set():
            wait_s = await self._due_in()
            if wait_s <= 0:
                await self._once()
                wait_s = self._interval_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), timeout=wait_s)

    async def _due_in(self) -> float:
        """Seconds until the next sync is due (≤ 0: now)."""
        try:
            last = await self._redis.get(self._keys.sync_last)
        except (RedisError, OSError):
            return self._interval_s  # Redis is away: try at the next interval
        if not last:
            return 0.0
        return float(last) + self._interval_s - self._clock()

    async def _once(self) -> None:
        sync = asyncio.ensure_future(self._sync())
        stop = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait([sync, stop], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not sync.done():
                sync.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sync

    async def _sync(self) -> None:
        try:
            async with inventory_sync(
                self._settings, redis=self._redis, keys=self._keys, redis_url=self._redis_url
            ) as sync:
                summary = await sync.run()
            await self._redis.set(self._keys.sync_last, repr(self._clock()))
        except SyncError as error:
            log.info("periodic inventory sync skipped", extra={"reason": str(error)})
            return
        except (EventStreamError, RedisError, OSError) as error:
            log.warning("periodic inventory sync failed", extra={"error": repr(error)})
            return
        self.runs += 1
        total = summary.total()
        log.info(
            "periodic inventory sync finished",
            extra={
                "run": summary.run,
                "listed": total.listed,
                "seeded": total.seeded,
                "drifted": total.drifted,
                "failed": total.failed + summary.units_failed,
                "seconds": round(summary.seconds, 3),
            },
        )
