"""One destination's delivery loop: a consumer group on the journal, batches, retries, acks.

Per destination (`Keys.webhook_group`), each forwarder process is one consumer of the group,
so several processes share the work and an entry goes to one of them. The loop:

1. reclaims (`XAUTOCLAIM`) entries another consumer left pending longer than `claim_idle_s`
   (it crashed), oldest first; else reads new entries (`XREADGROUP >`), filling a batch up to
   `batch_max_events` for at most `batch_max_wait_s`. Each read that does not wait runs in
   one transaction with `XINFO STREAM` and `XINFO GROUPS`: if the group's last-delivered-id
   is older than the journal's first entry, entries were trimmed before this destination
   read them; that is counted, recorded and logged with the id range (`progress.py`);
2. acknowledges at once what the destination's filter refuses; an entry that cannot be read
   goes to the dead-letter list with the reason;
3. sends the batch (cut by `batch_max_bytes`) and retries what is not delivered on the
   schedule (`retry.py`), the same events with the same `webhook-id`, one batch at a time, so
   per destination and process the order of delivery follows the journal. While it waits, it
   keeps its pending entries fresh (`XCLAIM` to itself) so no live delivery is reclaimed;
4. acknowledges an entry only once the destination took it (2xx; per item for Elastic);
   what runs out of attempts or is refused for good goes to the dead-letter list, written in
   the same transaction as its acknowledgement. A 410, or Splunk HEC refusing the token or
   the index, disables the destination (state in Redis, `eventstream webhooks enable`); its
   entries stay pending.

A down or slow destination holds only its own loop: one batch in memory, whatever its backlog
(the backlog stays in the journal).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from eventstream.config.webhooks import WebhookSettings
from eventstream.forward.batches import Batch, Encoder, Piece, Rows
from eventstream.forward.deadletters import DeadLetters
from eventstream.forward.formats import Item
from eventstream.forward.metrics import ForwardMetrics
from eventstream.forward.progress import Gap, Snapshot, progress_of, text
from eventstream.forward.retry import Schedule
from eventstream.forward.sender import Sender, SendFailure
from eventstream.forward.settle import Settler
from eventstream.forward.signing import message_id
from eventstream.forward.state import DestinationState
from eventstream.forward.verdicts import Verdict, judge, scrubbed
from eventstream.journal.keys import Keys

log = logging.getLogger(__name__)

IDLE_BLOCK_MS = 1000
DISABLED_POLL_S = 5.0
STATE_POLL_S = 1.0
REDIS_RETRY_S = 1.0


class Forwarder:
    def __init__(
        self,
        settings: WebhookSettings,
        *,
        redis: Redis,
        keys: Keys,
        consumer: str,
        sender: Sender,
        metrics: ForwardMetrics | None = None,
        schedule: Schedule | None = None,
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self.redis = redis
        self.journal = keys.journal
        self.group = keys.webhook_group(settings.name)
        self.consumer = consumer
        self.sender = sender
        self.metrics = metrics
        self.schedule = schedule or Schedule.of(settings)
        self.encoder = Encoder(settings)
        self.dead = DeadLetters(redis, keys, settings.name)
        self.state = DestinationState(redis, keys, settings.name)
        self.settler = Settler(redis, keys, settings.name, metrics)
        self._stop = asyncio.Event()
        self._claim_cursor = "0-0"
        self._next_sweep = 0.0
        self._ahead: asyncio.Task[Batch | None] | None = None
        self._settling: asyncio.Task[None] | None = None
        self._state_due = 0.0

    # -- lifecycle ------------------------------------------------------------------------

    async def prepare(self) -> None:
        """Create the destination's consumer group (at the journal's end, or its start with
        `start = "all"`) unless it exists."""
        start = "0" if self.settings.start == "all" else "$"
        try:
            await self.redis.xgroup_create(self.journal, self.group, id=start, mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def stop(self) -> None:
        """Finish the request in flight, then end `run()` (pending entries stay pending)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    async def run(self) -> None:
        try:
            await self._prepare_until_ready()
            while not self.stopping:
                try:
                    await self.step()
                except (RedisError, OSError) as error:
                    log.warning(
                        "webhook forwarder: Redis error",
                        extra={"destination": self.name, "error": str(error)},
                    )
                    await self._wait(REDIS_RETRY_S)
        finally:
            await self._finish()

    async def _finish(self) -> None:
        """Stop reading ahead, hand back what this consumer still holds, close connections."""
        try:
            await self._hand_back()
        except (RedisError, OSError) as error:
            log.warning("webhook entries not released", extra={"error": str(error)})
        await self.sender.close()

    async def release(self) -> int:
        """Mark every entry this consumer holds as idle past `claim_idle_s` (`XCLAIM ...
        IDLE`), so the next forwarder reclaims them first, at once, in journal order."""
        reply: Any = await self.redis.xpending_range(
            self.journal, self.group, "-", "+", 100_000, consumername=self.consumer
        )
        ids = [row["message_id"] for row in reply]
        if ids:
            await self.redis.xclaim(
                self.journal,
                self.group,
                self.consumer,
                0,
                ids,
                idle=int(self.settings.claim_idle_s * 1000) + 1000,
                justid=True,
            )
        return len(ids)

    async def _prepare_until_ready(self) -> None:
        while not self.stopping:
            try:
                await self.prepare()
                return
            except (RedisError, OSError) as error:
                log.warning("webhook forwarder: Redis error", extra={"error": str(error)})
                await self._wait(REDIS_RETRY_S)

    async def step(self) -> None:
        """One turn of the loop: a batch reclaimed or read, and delivered."""
        if time.monotonic() >= self._state_due:  # another process may have disabled it
            reason = await self.state.disabled()
            self._state_due = time.monotonic() + STATE_POLL_S
            if self.metrics is not None:
                self.metrics.disabled.labels(self.name).set(1 if reason else 0)
            if reason:
                self._state_due = 0.0
                await self._wait(DISABLED_POLL_S)
                return
        ahead, self._ahead = self._ahead, None
        batch = await (ahead if ahead is not None else self._fetch())
        if batch is None:
            return
        if batch.full:  # more is waiting: read and encode the next batch during this one
            self._ahead = asyncio.create_task(self._fetch())
        if not await self.send(batch) and not self.stopping:
            await self._hand_back()  # disabled: what is held goes first once enabled again

    async def _settled(self) -> None:
        """Wait for the acknowledgement running in the background (its error is raised)."""
        task, self._settling = self._settling, None
        if task is not None:
            await task

    async def _hand_back(self) -> None:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.cancel()
            await asyncio.gather(ahead, return_exceptions=True)
        try:
            await self._settled()
        finally:
            await self.release()
            self._claim_cursor, self._next_sweep = "0-0", 0.0

    async def _fetch(self) -> Batch | None:
        rows = await self._claim()
        if not rows:
            rows = await self._read()
        return self.encode(rows) if rows else None

    async def _settle(self, items: Sequence[Item], verdict: Verdict, attempts: int) -> None:
        """Settle what the destination answered, waiting for Redis if it is down: the events
        were delivered, so forgetting their acknowledgement would send them again only after
        `claim_idle_s`. Given up only when stopping (they stay pending, sent again later)."""
        while True:
            try:
                await self.settler.settle(items, verdict, attempts)
                return
            except (RedisError, OSError) as error:
                if self.stopping:
                    raise
                log.warning(
                    "webhook acknowledgement waits for Redis",
                    extra={"destination": self.name, "error": str(error)},
                )
                if await self._wait(REDIS_RETRY_S):
                    raise

    async def _wait(self, seconds: float) -> bool:
        """Sleep unless stopped; True if stopped meanwhile."""
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            return False
        return True

    # -- reading --------------------------------------------------------------------------

    async def _claim(self) -> Rows:
        """Entries of crashed consumers (idle past `claim_idle_s`), a page at a time."""
        if time.monotonic() < self._next_sweep:
            return []
        reply: Any = await self.redis.xautoclaim(
            self.journal,
            self.group,
            self.consumer,
            min_idle_time=int(self.settings.claim_idle_s * 1000),
            start_id=self._claim_cursor,
            count=self.settings.max_events,
        )
        cursor = text(reply[0])
        self._claim_cursor = cursor
        if cursor == "0-0":
            self._next_sweep = time.monotonic() + self.settings.claim_idle_s / 2
        deleted = [raw.decode() for raw in (reply[2] if len(reply) > 2 else [])]
        rows: Rows = [(raw_id, fields) for raw_id, fields in reply[1] if fields is not None]
        deleted += [raw_id.decode() for raw_id, fields in reply[1] if fields is None]
        if deleted:
            await self.settler.bury_trimmed(deleted)
        if rows:
            log.info(
                "webhook entries reclaimed",
                extra={"destination": self.name, "entries": len(rows), "first": rows[0][0]},
            )
        return sorted(rows, key=lambda row: _order(row[0]))

    async def _read(self) -> Rows:
        """New entries: at most a batch, waiting up to `batch_max_wait_s` for it to fill."""
        wanted = self.settings.max_events
        rows: Rows = []
        deadline = 0.0
        while len(rows) < wanted and not self.stopping:
            got = await self._read_checked(wanted - len(rows))
            if not got:  # at the journal's end: wait for more
                if rows:
                    left_ms = int((deadline - time.monotonic()) * 1000)
                    if left_ms <= 0:
                        break
                    block = left_ms
                else:
                    block = IDLE_BLOCK_MS
                reply: Any = await self.redis.xreadgroup(
                    self.group,
                    self.consumer,
                    {self.journal: ">"},
                    count=wanted - len(rows),
                    block=block,
                )
                if not reply:
                    break
                got = reply[0][1]
            if not rows:
                deadline = time.monotonic() + self.settings.batch_max_wait_s
            rows.extend(got)
            if self.settings.batch_max_wait_s <= 0:
                break
        return rows

    async def _read_checked(self, count: int) -> Rows:
        """New entries without waiting, read in one transaction with the journal's ends and
        the group's position: entries trimmed before this destination read them are seen
        (once: the read moves the group past them) and reported."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xinfo_stream(self.journal)
            pipe.xinfo_groups(self.journal)
            pipe.xreadgroup(self.group, self.consumer, {self.journal: ">"}, count=count)
            info, groups, reply = await pipe.execute()
        rows: Rows = reply[0][1] if reply else []
        if rows:
            snapshot = Snapshot.of(info, groups)
            group = snapshot.groups.get(self.group)
            gap = Gap.of(progress_of(group, snapshot.ends)) if group is not None else None
            if gap is not None:
                await self.settler.trimmed_unread(gap)
        return rows

    # -- one batch ------------------------------------------------------------------------

    async def send(self, batch: Batch) -> bool:
        """Deliver one batch; False if stopped or disabled before the end. The last
        acknowledgement may still run (`_settled`) while the next batch goes out."""
        if batch.skipped or batch.unreadable:
            await self.settler.settle_now(batch.skipped, batch.unreadable)
        for chunk in batch.chunks:
            if not await self.deliver(chunk):
                return False
        return True

    def encode(self, rows: Rows) -> Batch:
        """Parse, filter and encode journal rows (no I/O)."""
        return self.encoder.encode(rows)

    async def deliver(self, chunk: list[Piece]) -> bool:
        """Send one chunk until every event is delivered or dead; False if stopped or disabled
        first (what is left stays pending)."""
        pending = chunk
        attempt = 0
        retry_after: float | None = None
        error = ""
        if self.metrics is not None:
            self.metrics.backlog.labels(self.name).set(len(chunk))
        while pending:
            if attempt >= len(self.schedule):
                await self._settled()
                await self._settle(_items(pending), Verdict.all_dead(len(pending), error), attempt)
                break
            delay = self.schedule.delay(attempt, retry_after)
            if delay > 0 and not await self._pause(delay, pending):
                return False
            attempt += 1
            verdict = await self._attempt(pending)
            if verdict.split:
                self._count("split")
                half = len(pending) // 2
                return await self.deliver(pending[:half]) and await self.deliver(pending[half:])
            await self._settled()
            if len(verdict.delivered) == len(pending):  # acknowledged while the next one goes
                self._settling = asyncio.create_task(
                    self._settle(_items(pending), verdict, attempt)
                )
                break
            await self._settle(_items(pending), verdict, attempt)
            if verdict.disable:
                await self.settler.disable(verdict.cause, verdict.error)
                self._state_due = 0.0  # the next turn sees it
                return False
            pending = [pending[index] for index in verdict.retry]
            error, retry_after = verdict.error, verdict.retry_after_s
            if pending:
                log.warning(
                    "webhook delivery failed",
                    extra={
                        "destination": self.name,
                        "attempt": attempt,
                        "events": len(pending),
                        "error": error,
                    },
                )
                if self.stopping:
                    return False
        if self.metrics is not None:
            self.metrics.backlog.labels(self.name).set(0)
        return True

    async def _attempt(self, pending: Sequence[Piece]) -> Verdict:
        ids = [piece.item.entry_id for piece in pending]
        body = self.encoder.format.body([piece.data for piece in pending])
        answer = await self.sender.post(message_id(self.name, ids), body)
        if isinstance(answer, SendFailure):
            self._count("failed")
            return Verdict.all_retry(len(pending), answer.error)
        verdict = scrubbed(
            judge(self.settings.format, answer, len(pending), time.time()), self.sender.scrub
        )
        outcome = (
            "disabled"
            if verdict.disable
            else "split"
            if verdict.split
            else "ok"
            if len(verdict.delivered) == len(pending)
            else "dead"
            if len(verdict.dead) == len(pending)
            else "retry"
            if len(verdict.retry) == len(pending)
            else "partial"
        )
        self._count(outcome)
        return verdict

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.requests.labels(self.name, outcome).inc()

    async def _pause(self, delay_s: float, pending: Sequence[Piece]) -> bool:
        """Wait before a retry, keeping the pending entries claimed; False if stopped."""
        refresh = max(0.05, self.settings.claim_idle_s / 3)
        end = time.monotonic() + delay_s
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return True
            if await self._wait(min(left, refresh)):
                return False
            if end - time.monotonic() > 0:
                await self._keep(pending)

    async def _keep(self, pending: Sequence[Piece]) -> None:
        """Reset the idle time of this consumer's pending entries (`XCLAIM` to itself)."""
        ids: list[Any] = [piece.item.entry_id for piece in pending]
        await self.redis.xclaim(self.journal, self.group, self.consumer, 0, ids, justid=True)


def _items(pieces: Sequence[Piece]) -> list[Item]:
    return [piece.item for piece in pieces]


def _order(raw_id: bytes) -> tuple[int, int]:
    ms, _, seq = raw_id.partition(b"-")
    return int(ms), int(seq or 0)
