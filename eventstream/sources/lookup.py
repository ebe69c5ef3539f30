"""The LookupEvents source: CloudTrail's write events polled per region, no trail needed.

Each configured region is polled in time windows: `[cursor - overlap_s, cursor + window_s]`
(at most up to now), every page (`NextToken`) of `LookupEvents` with `ReadOnly=false`, at most
`requests_per_s` calls per second and region (the API allows 2). Each event's `CloudTrailEvent`
(the record as a JSON string) is handed on as a raw record; a window ends with a `Checkpoint`
whose acknowledgement (everything in the window committed) stores the window's end in Redis
(`Keys.lookup_checkpoint`). A restart starts again from there, `overlap_s` earlier, so no
window is missed (CloudTrail makes some events visible late) and what is polled twice is
absorbed by the journal's dedup. `since` (`eventstream ingest --since`) starts from a given
time instead: a backfill, window after window, then polling goes on live.

Throttling (`ThrottlingException`) and every other failure are logged with the region, counted
by kind, and retried with backoff on the same page; `problem()` says what fails.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from eventstream import codec
from eventstream.config import LookupSourceSettings
from eventstream.errors import MalformedRecordError
from eventstream.journal.keys import Keys
from eventstream.pipeline.metrics import PipelineMetrics
from eventstream.sources import aws
from eventstream.sources.base import Checkpoint, Item, RawRecord

log = logging.getLogger(__name__)

_PAGE = 50  # LookupEvents' most results per page
_OUT_CHUNKS = 8
_RAW_BYTES = 64 * 1024
_ADVANCE = """
local current = redis.call('GET', KEYS[1])
if (not current) or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
"""


class CheckpointStore:
    """Per region: the end of the last fully committed window (epoch seconds), in Redis."""

    def __init__(self, redis: Redis, keys: Keys, source: str) -> None:
        self.redis = redis
        self.keys = keys
        self.source = source

    async def get(self, region: str) -> float | None:
        value = await self.redis.get(self.keys.lookup_checkpoint(self.source, region))
        return float(value) if value else None

    async def advance(self, region: str, end: float) -> None:
        """Move the checkpoint forward to `end` (never back)."""
        key = self.keys.lookup_checkpoint(self.source, region)
        await self.redis.eval(_ADVANCE, 1, key, repr(end))


class _WindowAck:
    def __init__(self, store: CheckpointStore, region: str, end: float) -> None:
        self.store, self.region, self.end = store, region, end

    async def ack(self) -> None:
        try:
            await self.store.advance(self.region, self.end)
        except (RedisError, OSError) as error:  # the next window's checkpoint covers it
            log.warning(
                "checkpoint not stored",
                extra={"region": self.region, "end": self.end, "error": str(error)},
            )

    async def release(self, reason: str) -> None:
        """Nothing to do: the checkpoint stays where it was, the window is polled again."""


class _Rate:
    """At most `per_s` calls per second as the API counts them: a call starts no sooner than
    1/per_s after the previous one was answered. (Spacing the starts instead lets a slow call,
    such as a new client's first, reach the API late and the next ones right behind it.)"""

    def __init__(self, per_s: float) -> None:
        self.interval = 1.0 / per_s
        self.next_at = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        if self.next_at > now:
            await asyncio.sleep(self.next_at - now)

    def answered(self) -> None:
        self.next_at = time.monotonic() + self.interval


class LookupSource:
    """Raw records from CloudTrail `LookupEvents`, per region, with checkpoints in Redis."""

    def __init__(
        self,
        settings: LookupSourceSettings,
        store: CheckpointStore,
        *,
        name: str = "cloudtrail_lookup",
        metrics: PipelineMetrics | None = None,
        session: Any = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.name = name
        self.metrics = metrics
        self._session = session or aws.session()
        self._out: asyncio.Queue[Sequence[Item]] = asyncio.Queue(_OUT_CHUNKS)
        self._failing: dict[str, str] = {}

    def problem(self) -> str:
        return "; ".join(f"{region}: {reason}" for region, reason in self._failing.items())

    async def items(self) -> AsyncGenerator[Sequence[Item], None]:
        tasks = [
            asyncio.create_task(self._region(region), name=f"lookup:{region}")
            for region in self.settings.regions
        ]
        try:
            while True:
                yield await self._out.get()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _region(self, region: str) -> None:
        """Poll one region for ever; a failure outside the calls (a client that cannot be
        made) is reported and retried, never the end of the region."""
        delay = self.settings.retry_first_s
        while True:
            try:
                await self._poll(region)
            except Exception as error:
                self._failing[region] = f"{type(error).__name__}: {error}"
                if self.metrics is not None:
                    self.metrics.errors.labels(self.name, "internal").inc()
                log.exception("LookupEvents polling failed", extra={"region": region})
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.retry_max_s)

    async def _poll(self, region: str) -> None:
        async with aws.client(
            self._session,
            "cloudtrail",
            region=region,
            endpoint_url=self.settings.endpoint_url,
            max_attempts=1,  # throttling is retried here, within the rate
        ) as trail:
            rate = _Rate(self.settings.requests_per_s)
            cursor, overlap = await self._start(region)
            while True:
                now = time.time()
                begin = max(0.0, cursor - overlap)
                end = min(now, cursor + self.settings.window_s)
                await self._window(trail, rate, region, begin, end)
                await self._out.put([Checkpoint(_WindowAck(self.store, region, end), region)])
                cursor, overlap = end, self.settings.overlap_s
                if end >= now:
                    await asyncio.sleep(self.settings.poll_interval_s)

    async def _start(self, region: str) -> tuple[float, float]:
        """Where the first window starts, and whether it overlaps what came before."""
        if self.settings.since is not None:
            return self.settings.since.timestamp(), 0.0
        delay = self.settings.retry_first_s
        while True:
            try:
                stored = await self.store.get(region)
            except (RedisError, OSError) as error:
                self._failing[region] = f"checkpoint: {error}"
                log.warning("checkpoint not read", extra={"region": region, "error": str(error)})
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.retry_max_s)
                continue
            self._failing.pop(region, None)
            if stored is None:
                return time.time() - self.settings.initial_lookback_s, 0.0
            return stored, self.settings.overlap_s

    async def _window(self, trail: Any, rate: _Rate, region: str, begin: float, end: float) -> None:
        """Every page of one window, handed on page by page."""
        token: str | None = None
        delay = self.settings.retry_first_s
        origin = f"lookup:{region}"
        while True:
            await rate.wait()
            request: dict[str, Any] = {
                "LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
                "StartTime": datetime.fromtimestamp(begin, UTC),
                "EndTime": datetime.fromtimestamp(end, UTC),
                "MaxResults": _PAGE,
            }
            if token:
                request["NextToken"] = token
            if self.metrics is not None:
                self.metrics.requests.labels(self.name, region).inc()
            try:
                answer = await trail.lookup_events(**request)
            except aws.AWS_ERRORS as error:
                rate.answered()
                kind = aws.error_kind(error)
                if isinstance(error, ClientError) and "NextToken" in aws.error_code(error):
                    token = None  # the token expired: the window again, from its start
                if self.metrics is not None:
                    self.metrics.errors.labels(self.name, kind).inc()
                self._failing[region] = f"LookupEvents: {aws.describe(error)}"
                log.warning(
                    "LookupEvents failed",
                    extra={
                        "source": self.name,
                        "region": region,
                        "kind": kind,
                        "error": aws.describe(error),
                        "retry_s": delay,
                    },
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.retry_max_s)
                continue
            rate.answered()
            delay = self.settings.retry_first_s
            self._failing.pop(region, None)
            items = [_record(event, origin) for event in answer.get("Events", [])]
            if items:
                await self._out.put(items)
            token = answer.get("NextToken")
            if not token:
                return


def _record(event: dict[str, Any], origin: str) -> Item:
    raw = event.get("CloudTrailEvent")
    if not isinstance(raw, str):
        return MalformedRecordError(
            f"event {event.get('EventId')} without CloudTrailEvent", origin=origin
        )
    try:
        return RawRecord(origin, None, None, codec.loads(raw))
    except codec.JSONDecodeError as error:
        return MalformedRecordError(
            f"CloudTrailEvent of {event.get('EventId')} is not JSON: {error}",
            origin=origin,
            data=raw.encode(errors="replace")[:_RAW_BYTES],
        )
