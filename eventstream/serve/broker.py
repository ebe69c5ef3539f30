"""The one journal reader of a process, fanning every entry out to its subscribers in memory.

One `XREAD BLOCK` loop per process, whatever the number of subscribers: each entry is parsed
and turned into its SSE frame once (`journal.entry_of`) and the same bytes object is queued for
every subscriber whose filter passes it. Queues are bounded by count: a subscriber that falls
`buffer` entries behind is marked overflowed, gets nothing more, and its stream ends (it
resumes by id), so a slow reader costs bounded memory and never delays the others.
"""

from __future__ import annotations

import asyncio
import enum
import logging

from redis.exceptions import RedisError

from eventstream.serve.filters import EventFilter
from eventstream.serve.journal import Entry, JournalReader
from eventstream.serve.metrics import Metrics
from eventstream.serve.streamid import StreamKey

log = logging.getLogger(__name__)

_BACKOFF_MAX_S = 5.0
_BATCH_MAX = 512


class Signal(enum.Enum):
    """Why a subscriber's stream ends."""

    CLOSE = "server shutting down"
    OVERFLOW = "subscriber too slow"
    EXPIRE = "stream lifetime reached"
    RESTART = "journal restarted"


Item = Entry | Signal


class Subscriber:
    """One stream's bounded inbox. Fed by the broker, drained by the SSE generator."""

    __slots__ = ("done", "filter", "limit", "queue")

    def __init__(self, event_filter: EventFilter, limit: int) -> None:
        self.filter = event_filter
        self.limit = limit
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self.done: Signal | None = None

    def offer(self, entry: Entry) -> bool:
        """Queue `entry` if the filter wants it; False once this subscriber overflowed."""
        if self.done is not None:
            return self.done is not Signal.OVERFLOW
        if not self.filter.matches(entry.meta):
            return True
        if self.queue.qsize() >= self.limit:
            self.end(Signal.OVERFLOW)
            return False
        self.queue.put_nowait(entry)
        return True

    def end(self, signal: Signal) -> None:
        """Queue the last item this subscriber will get (the first signal wins)."""
        if self.done is None:
            self.done = signal
            self.queue.put_nowait(signal)

    async def next(self) -> Item:
        return await self.queue.get()


class Broker:
    """Reads the journal tail and fans it out; started and stopped by the app's lifespan."""

    def __init__(
        self,
        reader: JournalReader,
        metrics: Metrics,
        *,
        buffer: int,
        block_ms: int = 1000,
    ) -> None:
        self.reader = reader
        self.metrics = metrics
        self.buffer = buffer
        self.block_ms = block_ms
        # A read never fills more than a quarter of a subscriber's buffer by itself.
        self.batch = max(1, min(_BATCH_MAX, buffer // 4))
        self.subscribers: set[Subscriber] = set()
        self.closing = False
        self.connected = False
        self.cursor: StreamKey | None = None

    def subscribe(self, event_filter: EventFilter) -> Subscriber:
        subscriber = Subscriber(event_filter, self.buffer)
        if self.closing:
            subscriber.end(Signal.CLOSE)
            return subscriber
        self.subscribers.add(subscriber)
        self.metrics.subscribers.set(len(self.subscribers))
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        self.metrics.subscribers.set(len(self.subscribers))

    def close(self) -> None:
        """End every stream with a final event; refuse new ones. Idempotent."""
        if not self.closing:
            log.info("closing streams", extra={"subscribers": len(self.subscribers)})
        self.closing = True
        for subscriber in list(self.subscribers):
            subscriber.end(Signal.CLOSE)

    def dispatch(self, entries: list[Entry]) -> None:
        self.metrics.broker_entries.inc(len(entries))
        for subscriber in list(self.subscribers):
            for entry in entries:
                if not subscriber.offer(entry):
                    self.metrics.slow_disconnects.inc()
                    self.unsubscribe(subscriber)
                    break

    async def run(self) -> None:
        """Tail the journal until cancelled; reconnects with backoff when Redis fails."""
        backoff_s = 0.1
        while True:
            try:
                await self._step()
                backoff_s = 0.1
            except (RedisError, OSError) as error:
                self.connected = False
                log.warning(
                    "journal read failed",
                    extra={"journal": self.reader.key, "error": str(error), "retry_s": backoff_s},
                )
                await asyncio.sleep(backoff_s)
                backoff_s = min(_BACKOFF_MAX_S, backoff_s * 2)

    async def _step(self) -> None:
        if self.cursor is None:
            self.cursor = await self.reader.last_key()
            self.connected = True
        cursor, entries = await self.reader.tail(self.cursor, self.block_ms, self.batch)
        self.connected = True
        if entries:
            self.cursor = cursor
            if self.subscribers:
                self.dispatch(entries)
            return
        self.cursor = cursor
        last = await self.reader.last_key()
        if last < self.cursor:
            log.warning(
                "journal went back in time; restarting streams",
                extra={"journal": self.reader.key, "last_id": f"{last[0]}-{last[1]}"},
            )
            self.cursor = last
            for subscriber in list(self.subscribers):
                subscriber.end(Signal.RESTART)
