"""The one journal reader of a process, fanning every entry out to its subscribers in memory.

One `XREAD BLOCK` loop per process, whatever the number of subscribers: each entry is parsed
and turned into its SSE frame once (`journal.entry_of`) and the same bytes object is queued for
every subscriber whose filter passes it. Inboxes are bounded by count: a subscriber that falls
`buffer` entries behind is marked overflowed, gets nothing more, and its stream ends (it
resumes by id), so a slow reader costs bounded memory and never delays the others.

The broker also watches every open stream, from one task (`watch`) rather than timers per
stream: it raises each stream's heartbeat every `heartbeat_s`, stops a stream whose write has
been pending for `write_timeout_s`, and stops what is left `grace_s` after `close()`.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable

from redis.exceptions import RedisError

from eventstream.filters import EventFilter
from eventstream.journal.reader import Entry, JournalReader
from eventstream.journal.streamid import StreamKey
from eventstream.serve.metrics import Metrics

log = logging.getLogger(__name__)

_BACKOFF_MAX_S = 5.0
_BATCH_MAX = 512
_WATCH_MIN_S = 0.01


class Signal(enum.Enum):
    """Why a subscriber's stream ends (after a last `close` event)."""

    CLOSE = "server shutting down"
    OVERFLOW = "subscriber too slow"
    EXPIRE = "stream lifetime reached"
    RESTART = "journal restarted"


class Abort(enum.Enum):
    """Why a stream is stopped from outside, at once, with no last event."""

    STALLED = "write deadline missed"
    GRACE = "shutdown grace period over"


class Subscriber:
    """One stream's bounded inbox and write state. Fed by the broker, drained by the stream.

    `pending` holds the entries not yet taken by the stream, in journal order; `done` is the
    signal that ends the stream once `pending` is drained; `ping` asks for a heartbeat. The
    stream records when its current write began (`writing_since`, 0 when none) and how to stop
    it (`stop`), so the broker's watch can enforce the write deadline.
    """

    __slots__ = (
        "aborted",
        "done",
        "filter",
        "limit",
        "pending",
        "ping",
        "ping_at",
        "stop",
        "waiter",
        "writing_since",
    )

    def __init__(self, event_filter: EventFilter, limit: int, ping_at: float) -> None:
        # None: the filter passes everything, so entries are queued without testing each.
        self.filter = None if event_filter.matches_everything() else event_filter
        self.limit = limit
        self.pending: list[Entry] = []
        self.done: Signal | None = None
        self.ping = False
        self.ping_at = ping_at
        self.waiter: asyncio.Future[None] | None = None
        self.writing_since = 0.0
        self.stop: Callable[[], object] | None = None
        self.aborted: Abort | None = None

    def offer(self, entries: list[Entry]) -> bool:
        """Queue the entries the filter wants; False once this subscriber overflowed."""
        if self.done is not None:
            return self.done is not Signal.OVERFLOW
        if self.filter is not None:
            matches = self.filter.matches
            entries = [entry for entry in entries if matches(entry.meta)]
            if not entries:
                return True
        room = self.limit - len(self.pending)
        if len(entries) > room:
            if room > 0:
                self.pending.extend(entries[:room])
            self.end(Signal.OVERFLOW)
            return False
        self.pending.extend(entries)
        self._wake()
        return True

    def take(self) -> list[Entry]:
        """Every pending entry, oldest first; the inbox is empty afterwards."""
        taken = self.pending
        self.pending = []
        return taken

    def end(self, signal: Signal) -> None:
        """Set the last item this subscriber will get (the first signal wins)."""
        if self.done is None:
            self.done = signal
            self._wake()

    def heartbeat(self) -> None:
        self.ping = True
        self._wake()

    def abort(self, reason: Abort) -> None:
        """Stop the stream now (its task is cancelled); no-op once it is finishing."""
        if self.stop is not None and self.aborted is None:
            self.aborted = reason
            self.stop()

    def ready(self) -> bool:
        """Whether there is something to send: entries, a heartbeat or the end."""
        return bool(self.pending) or self.ping or self.done is not None

    def arm(self) -> asyncio.Future[None]:
        """A future the broker resolves once there is something to send (the stream awaits it
        in its own frame, so an idle stream keeps no extra coroutine)."""
        self.waiter = asyncio.get_running_loop().create_future()
        return self.waiter

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Broker:
    """Reads the journal tail and fans it out; started and stopped by the app's lifespan."""

    def __init__(
        self,
        reader: JournalReader,
        metrics: Metrics,
        *,
        buffer: int,
        block_ms: int = 1000,
        heartbeat_s: float = 15.0,
        write_timeout_s: float = 10.0,
        grace_s: float = 2.0,
    ) -> None:
        self.reader = reader
        self.metrics = metrics
        self.buffer = buffer
        self.block_ms = block_ms
        self.heartbeat_s = heartbeat_s
        self.write_timeout_s = write_timeout_s
        self.grace_s = grace_s
        # A read never fills more than a quarter of a subscriber's buffer by itself.
        self.batch = max(1, min(_BATCH_MAX, buffer // 4))
        self.subscribers: set[Subscriber] = set()  # those the journal is fanned out to
        self.streams: set[Subscriber] = set()  # every open stream, watched by `watch`
        self.closing = False
        self.closed_at = 0.0
        self.connected = False
        self.cursor: StreamKey | None = None

    def subscribe(self, event_filter: EventFilter) -> Subscriber:
        subscriber = Subscriber(event_filter, self.buffer, time.monotonic() + self.heartbeat_s)
        self.streams.add(subscriber)
        if self.closing:
            subscriber.end(Signal.CLOSE)
            return subscriber
        self.subscribers.add(subscriber)
        self.metrics.subscribers.set(len(self.subscribers))
        return subscriber

    def resubscribe(self, subscriber: Subscriber) -> None:
        """Feed an overflowed subscriber again, from now on, with an empty inbox."""
        if subscriber.done is not Signal.OVERFLOW:
            return
        subscriber.pending = []
        if self.closing:
            subscriber.done = Signal.CLOSE
            return
        subscriber.done = None
        self.subscribers.add(subscriber)
        self.metrics.subscribers.set(len(self.subscribers))

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        self.metrics.subscribers.set(len(self.subscribers))

    def release(self, subscriber: Subscriber) -> None:
        """Forget a stream that ended."""
        self.unsubscribe(subscriber)
        self.streams.discard(subscriber)

    def close(self) -> None:
        """End every stream with a final event; refuse new ones. Idempotent."""
        if not self.closing:
            log.info("closing streams", extra={"subscribers": len(self.subscribers)})
            self.closing = True
            self.closed_at = time.monotonic()
        for subscriber in list(self.streams):
            subscriber.end(Signal.CLOSE)

    def dispatch(self, entries: list[Entry]) -> None:
        self.metrics.broker_entries.inc(len(entries))
        for subscriber in list(self.subscribers):
            if not subscriber.offer(entries):
                self.metrics.slow_disconnects.inc()
                self.unsubscribe(subscriber)

    def check(self, now: float) -> None:
        """One pass of the watch: heartbeats due, writes past their deadline, shutdown grace."""
        grace_over = self.closing and now >= self.closed_at + self.grace_s
        deadline = now - self.write_timeout_s
        for subscriber in list(self.streams):
            if grace_over:
                subscriber.abort(Abort.GRACE)
            elif subscriber.writing_since and subscriber.writing_since <= deadline:
                subscriber.abort(Abort.STALLED)
            elif now >= subscriber.ping_at:
                subscriber.ping_at = now + self.heartbeat_s
                subscriber.heartbeat()

    async def watch(self) -> None:
        """Run `check` until cancelled, often enough for heartbeats and write deadlines."""
        period = max(_WATCH_MIN_S, min(self.heartbeat_s, self.write_timeout_s) / 4)
        while True:
            await asyncio.sleep(period)
            self.check(time.monotonic())

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
