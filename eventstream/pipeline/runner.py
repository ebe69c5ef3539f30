"""The one pipeline runner: sources → normalize → commit → acknowledge, in batches.

Every source runs as a reader task that puts chunks of items on one bounded queue (a full queue
makes the sources wait: back-pressure). One loop takes them in order, normalizes each record
(pure, in the loop: it is fast) and gathers a batch until it holds `batch_max_events` events
or its first record has waited `batch_max_wait_s`. Batches go, one at a time and in order, to
one commit task, so the next batch is normalized while Redis commits the current one.

Committing a batch: its quarantined records are written first, then its events (one commit per
source of the batch, so counts stay per source), then its checkpoints are acknowledged. A
checkpoint is therefore acknowledged only after everything before it is committed.

This is the one place where a bad record becomes a counted, quarantined entry with its reason:
a malformed item from a source, a record the normalizer rejects, any exception while
normalizing one record, or an event that cannot be encoded (JSON nested deeper than the codec
allows). Nothing one record does stops the pipeline.

Stopping (`stop()`): the readers stop, the batch being gathered is committed, what is still
queued is abandoned and its checkpoints released ("shutdown"); a commit waiting out a Redis
outage is abandoned the same way. Nothing is half-written: each commit script is atomic, and
what is not acknowledged is delivered again (and deduplicated) later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from eventstream import codec
from eventstream.config import PipelineSettings
from eventstream.errors import MalformedRecordError, RedisUnavailableError, UnreadableInputError
from eventstream.journal.commit import CommitResult
from eventstream.journal.quarantine import Quarantined, first_bytes
from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer, Result
from eventstream.pipeline.metrics import PipelineMetrics
from eventstream.sources.base import Checkpoint, Item, RawRecord, Source, Watched
from eventstream.tally import Tally

log = logging.getLogger(__name__)

_RETRY_FIRST_S = 0.2
_RETRY_MAX_S = 5.0
_END = object()  # a reader's last word on the queue
_STOP = object()
_MALFORMED = "malformed"
SHUTDOWN = "shutdown"


class Committer(Protocol):
    """Enriches asset events and commits them (`journal.commit.Committer`)."""

    async def commit(
        self, events: Sequence[dict[str, Any]], into: CommitResult | None = None
    ) -> CommitResult: ...


class Rejects(Protocol):
    """Where quarantined records are kept (`journal.quarantine.RedisQuarantine`, a file)."""

    async def add(self, entries: Sequence[Quarantined]) -> None: ...


Output = Callable[[Sequence[dict[str, Any]]], Awaitable[None]]
"""Receives each batch's events when there is no committer (`eventstream normalize`)."""
Unmapped = Callable[[str, RawRecord, Result], None]


@dataclass
class Totals:
    """What a run did: the normalization tally and the commit counts."""

    tally: Tally = field(default_factory=Tally)
    journaled: int = 0
    duplicates: int = 0
    conflicts: int = 0
    quarantined: int = 0
    batches: int = 0

    def add(self, result: CommitResult) -> None:
        self.journaled += result.journaled
        self.duplicates += result.duplicates
        self.conflicts += result.conflicts

    def summary(self) -> str:
        return (
            f"{self.tally.summary()}\n"
            f"committed: journaled {self.journaled}, duplicates skipped {self.duplicates}, "
            f"concurrent-update retries {self.conflicts}, quarantined {self.quarantined}"
        )


@dataclass
class _Batch:
    """Normalized events waiting for their commit, with what settles with them."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per source
    size: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    started: float = 0.0

    def empty(self) -> bool:
        return not (self.size or self.quarantined or self.checkpoints)


class _Abandoned(Exception):
    """A batch given up on shutdown: its checkpoints are released."""


def _reason(error: BaseException) -> str:
    text = str(error)
    if isinstance(error, TypeError) and "Recursion limit" in text:
        return "JSON nested too deep to encode (the codec's limit is 254 levels)"
    if isinstance(error, RecursionError):
        return "JSON nested too deep to process"
    return f"{type(error).__name__} while normalizing: {text[:200]}"


def _lag_s(event_time: str) -> float:
    try:
        moment = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return max(0.0, time.time() - moment.timestamp())


class Pipeline:
    """Runs sources through the normalizer into the committer (or `output`), in batches."""

    def __init__(
        self,
        sources: Sequence[Source],
        normalizer: Normalizer,
        settings: PipelineSettings,
        *,
        committer: Committer | None = None,
        rejects: Rejects | None = None,
        output: Output | None = None,
        metrics: PipelineMetrics | None = None,
        wait_for_redis: bool = True,
        on_unmapped: Unmapped | None = None,
        on_batch: Callable[[Totals], None] | None = None,
        closers: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        self.sources = list(sources)
        self.normalizer = normalizer
        self.settings = settings
        self.committer = committer
        self.rejects = rejects
        self.output = output
        self.metrics = metrics
        self.wait_for_redis = wait_for_redis
        self.on_unmapped = on_unmapped
        self.on_batch = on_batch
        self.closers = list(closers)  # awaited once the run ends (the describe clients)
        self.totals = Totals()
        self.failed: dict[str, str] = {}  # source → why it stopped
        self.error = ""  # why the pipeline itself stopped (a commit that cannot succeed)
        self.down = ""  # the Redis error a commit is waiting out
        self.running = False
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(
            max(1, settings.queue_max_records // 64)
        )
        self._commits: asyncio.Queue[_Batch | None] = asyncio.Queue(1)
        self._stopping = asyncio.Event()
        self._readers: list[asyncio.Task[None]] = []

    def health(self) -> dict[str, str]:
        """`source:<name>` → "ok", "failed: …", "failing: …" (a source retrying what fails)
        or "waiting for Redis: …"; and `pipeline` → "failed: …" once the pipeline itself has
        stopped on an error."""
        out = {"pipeline": f"failed: {self.error}"} if self.error else {}
        for source in self.sources:
            problem = source.problem() if isinstance(source, Watched) else ""
            if source.name in self.failed:
                out[f"source:{source.name}"] = f"failed: {self.failed[source.name]}"
            elif problem:
                out[f"source:{source.name}"] = f"failing: {problem}"
            elif self.down:
                out[f"source:{source.name}"] = f"waiting for Redis: {self.down}"
            else:
                out[f"source:{source.name}"] = "ok"
        return out

    def stop(self) -> None:
        """Stop reading; commit the batch being gathered; abandon the rest. Idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        for reader in self._readers:
            reader.cancel()
        if not self._queue.full():
            self._queue.put_nowait(("", _STOP))

    async def run(self) -> Totals:
        """Run until every source has finished and its records are committed, or `stop()`.
        Raises `RedisUnavailableError` (when not waiting for Redis) or `CommitError`."""
        self.running = True
        try:
            async with asyncio.TaskGroup() as group:
                self._readers = [
                    group.create_task(self._read(source), name=f"source:{source.name}")
                    for source in self.sources
                ]
                commits = group.create_task(self._commit_loop(), name="commit")
                try:
                    await self._gather()
                finally:
                    if not commits.done():
                        await self._commits.put(None)
        except BaseExceptionGroup as group:
            self.error = repr(group.exceptions[0])
            raise group.exceptions[0] from None
        finally:
            self.running = False
            await self._release_queued()
            for close in self.closers:
                await close()
        return self.totals

    async def _read(self, source: Source) -> None:
        name = source.name
        if self.metrics is not None:
            self.metrics.source_up.labels(name).set(1)
        try:
            async with contextlib.aclosing(source.items()) as chunks:
                async for chunk in chunks:
                    if chunk:
                        await self._queue.put((name, chunk))
            log.info("source finished", extra={"source": name})
        except Exception as error:  # a source's failure never stops the others
            log.exception("source failed", extra={"source": name})
            self.failed[name] = repr(error)
        finally:
            if self.metrics is not None:
                self.metrics.source_up.labels(name).set(0)
        await self._queue.put((name, _END))

    async def _gather(self) -> None:
        """Take chunks in order, normalize them into batches, hand full batches on."""
        live = len(self.sources)
        batch = _Batch()
        wait_s = self.settings.batch_max_wait_s
        while live and not self._stopping.is_set():
            timeout = None if batch.empty() else max(0.0, batch.started + wait_s - time.monotonic())
            try:
                name, chunk = await asyncio.wait_for(self._queue.get(), timeout)
            except TimeoutError:
                batch = await self._flush(batch)
                continue
            if chunk is _END:
                live -= 1
            elif chunk is not _STOP:
                batch = await self._chunk(name, chunk, batch)
            if batch.size >= self.settings.batch_max_events:
                batch = await self._flush(batch)
        await self._flush(batch)

    async def _flush(self, batch: _Batch) -> _Batch:
        if not batch.empty():
            await self._commits.put(batch)
        return _Batch()

    async def _chunk(self, name: str, chunk: Sequence[Item], batch: _Batch) -> _Batch:
        """Normalize one chunk of a source's items into `batch` (flushing when it fills)."""
        if batch.empty():
            batch.started = time.monotonic()
        outcomes: Counter[Outcome | str] = Counter()  # members, not `.value`: cheaper per record
        events_in = 0
        latest = ""
        limit = self.settings.batch_max_events
        for item in chunk:
            if isinstance(item, RawRecord):
                given = self._record(name, item, batch, outcomes)
                if given:
                    events_in += given
                    latest = batch.events[name][-1]["time"]
            elif isinstance(item, Checkpoint):
                batch.checkpoints.append(item)
            else:
                self._malformed(name, item, None, batch, outcomes)
            if batch.size >= limit:
                batch = await self._flush(batch)
                batch.started = time.monotonic()
        self._count(name, outcomes, events_in, latest)
        return batch

    def _record(
        self, name: str, item: RawRecord, batch: _Batch, outcomes: Counter[Outcome | str]
    ) -> int:
        """Normalize one record into `batch`; returns the number of events it gave."""
        try:
            result = self.normalizer.normalize(item.payload)
            for event in result.events:
                codec.dumps(event)  # what cannot be encoded would fail its whole batch later
        except MalformedRecordError as error:
            self._malformed(name, error, item, batch, outcomes)
            return 0
        except Exception as error:  # any failure of one record is that record's
            self._malformed(name, MalformedRecordError(_reason(error)), item, batch, outcomes)
            return 0
        self.totals.tally.count(result.outcome, result.operation, len(result.events))
        outcomes[result.outcome] += 1
        if result.outcome is Outcome.UNMAPPED and self.on_unmapped is not None:
            self.on_unmapped(name, item, result)
        if result.events:
            batch.events.setdefault(name, []).extend(result.events)
            batch.size += len(result.events)
        return len(result.events)

    def _malformed(
        self,
        name: str,
        error: MalformedRecordError,
        item: RawRecord | None,
        batch: _Batch,
        outcomes: Counter[Outcome | str],
    ) -> None:
        self.totals.tally.count_malformed(isinstance(error, UnreadableInputError))
        outcomes[_MALFORMED] += 1
        limit = self.settings.quarantine_record_bytes
        payload = item.payload if item is not None else error.data
        record, cut = first_bytes(payload, limit) if payload is not None else (b"", False)
        reason = error.reason
        if isinstance(error, UnreadableInputError):
            reason = f"cannot read: {reason}"
        if item is not None and item.index is not None:
            reason = f"record {item.index}: {reason}"
        batch.quarantined.append(
            Quarantined(
                source=name,
                origin=item.origin if item is not None else error.origin,
                line=item.line if item is not None else error.line,
                index=item.index if item is not None else None,
                reason=reason,
                record=record,
                truncated=cut,
            )
        )

    def _count(self, name: str, outcomes: Counter[Outcome | str], events: int, latest: str) -> None:
        metrics = self.metrics
        if metrics is None:
            return
        metrics.records_in.labels(name).inc(sum(outcomes.values()))
        for outcome, count in outcomes.items():
            metrics.outcomes.labels(name, str(outcome)).inc(count)
        if events:
            metrics.events_in.labels(name).inc(events)
            metrics.source_lag.labels(name).set(_lag_s(latest))

    async def _commit_loop(self) -> None:
        while (batch := await self._commits.get()) is not None:
            try:
                await self._settle(batch)
            except _Abandoned:
                await _release(batch.checkpoints, SHUTDOWN)

    async def _settle(self, batch: _Batch) -> None:
        """Quarantine, commit (or output), then acknowledge one batch."""
        if batch.quarantined:
            if self.rejects is not None:
                await self._retrying(self.rejects.add, batch.quarantined)
            self._quarantined(batch.quarantined)
        for name, events in batch.events.items():
            if self.committer is not None:
                result = CommitResult()
                try:
                    await self._retrying(self.committer.commit, events, result)
                finally:
                    self.totals.add(result)  # what was committed, even if a later part failed
                self._committed(name, result)
            elif self.output is not None:
                await self.output(events)
        self.totals.batches += 1
        if self.metrics is not None:
            self.metrics.batches.inc()
        if self.on_batch is not None:
            self.on_batch(self.totals)
        for checkpoint in batch.checkpoints:
            await checkpoint.ack.ack()

    async def _retrying(self, call: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """`call(*args)`, waiting out a Redis outage (unless told not to) until stopped."""
        delay = _RETRY_FIRST_S
        while True:
            try:
                await call(*args)
            except RedisUnavailableError as error:
                if not self.wait_for_redis:
                    raise
                self.down = str(error)
                log.warning(
                    "commit failed, retrying", extra={"error": str(error), "retry_s": delay}
                )
                try:
                    await asyncio.wait_for(self._stopping.wait(), delay)
                except TimeoutError:
                    pass
                else:
                    raise _Abandoned from None
                delay = min(delay * 2, _RETRY_MAX_S)
            else:
                self.down = ""
                return

    def _quarantined(self, entries: Sequence[Quarantined]) -> None:
        self.totals.quarantined += len(entries)
        for entry in entries:
            if self.metrics is not None:
                self.metrics.quarantined.labels(entry.source).inc()
            log.warning(
                "record quarantined",
                extra={
                    "source": entry.source,
                    "origin": entry.origin,
                    "line": entry.line,
                    "index": entry.index,
                    "reason": entry.reason,
                },
            )

    def _committed(self, name: str, result: CommitResult) -> None:
        if self.metrics is not None:
            self.metrics.events_committed.labels(name).inc(result.journaled)
            self.metrics.duplicates.labels(name).inc(result.duplicates)

    async def _release_queued(self) -> None:
        """Release the checkpoints of everything still queued (abandoned on shutdown)."""
        left: list[Checkpoint] = []
        while not self._queue.empty():
            _name, chunk = self._queue.get_nowait()
            if chunk is not _END and chunk is not _STOP:
                left.extend(item for item in chunk if isinstance(item, Checkpoint))
        while not self._commits.empty():
            batch = self._commits.get_nowait()
            if batch is not None:
                left.extend(batch.checkpoints)
        await _release(left, SHUTDOWN)


async def _release(checkpoints: Sequence[Checkpoint], reason: str) -> None:
    for checkpoint in checkpoints:
        try:
            await checkpoint.ack.release(reason)
        except Exception:  # a release that fails leaves the message to its visibility timeout
            log.exception("release failed", extra={"checkpoint": checkpoint.label})
