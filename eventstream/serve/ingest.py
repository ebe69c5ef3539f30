"""Sources feeding a running server: raw records → normalize → commit to the journal.

A source is anything with a `name` and an async iterator of raw records (`RawRecord`, or a
`MalformedRecordError` for an unreadable one). The demo scenario and file replay are sources
today; SQS, S3 and LookupEvents plug in the same way. Each source runs as its own task; one
that fails is logged and reported by /readyz, and never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from eventstream.errors import MalformedRecordError, RedisUnavailableError
from eventstream.journal.commit import CommitResult
from eventstream.normalize.normalizer import Normalizer
from eventstream.serve.metrics import Metrics
from eventstream.sources.files import RawRecord

log = logging.getLogger(__name__)

SourceItem = RawRecord | MalformedRecordError
_RETRY_FIRST_S = 0.2
_RETRY_MAX_S = 5.0


class Source(Protocol):
    """A stream of raw provider records."""

    name: str

    def records(self) -> AsyncIterator[SourceItem]: ...


class Committer(Protocol):
    """Enriches asset events and commits them to the inventory and journal
    (`journal.commit.Committer`)."""

    async def commit(self, events: Sequence[dict[str, Any]]) -> CommitResult: ...


def _lag_s(event_time: str) -> float:
    try:
        moment = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return max(0.0, time.time() - moment.timestamp())


class Ingest:
    """Runs every source as a task and commits what they produce."""

    def __init__(
        self,
        sources: Sequence[Source],
        normalizer: Normalizer,
        committer: Committer,
        metrics: Metrics,
    ) -> None:
        self.sources = list(sources)
        self.normalizer = normalizer
        self.committer = committer
        self.metrics = metrics
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.down: dict[str, str] = {}  # source → the commit error it is waiting out

    def start(self) -> None:
        for source in self.sources:
            self.metrics.source_up.labels(source.name).set(1)
            self.tasks[source.name] = asyncio.create_task(self._run(source), name=source.name)

    async def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    def health(self) -> dict[str, str]:
        """`source:<name>` → "ok" while running or finished cleanly, else the error."""
        out = {}
        for name, task in self.tasks.items():
            failed = task.done() and not task.cancelled() and task.exception() is not None
            if failed:
                out[f"source:{name}"] = f"failed: {task.exception()!r}"
            elif name in self.down:
                out[f"source:{name}"] = f"waiting for Redis: {self.down[name]}"
            else:
                out[f"source:{name}"] = "ok"
        return out

    async def _run(self, source: Source) -> None:
        try:
            async for item in source.records():
                await self.handle(source.name, item)
            log.info("source finished", extra={"source": source.name})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("source failed", extra={"source": source.name})
            raise
        finally:
            self.metrics.source_up.labels(source.name).set(0)

    async def handle(self, source: str, item: SourceItem) -> int:
        """Normalize and commit one record; returns how many events were committed."""
        self.metrics.records_in.labels(source).inc()
        if isinstance(item, MalformedRecordError):
            self._quarantine(source, item)
            return 0
        try:
            result = self.normalizer.normalize(item.payload)
        except MalformedRecordError as error:
            self._quarantine(source, error)
            return 0
        if not result.events:
            return 0
        self.metrics.events_in.labels(source).inc(len(result.events))
        committed = await self._commit(source, result.events)
        self.metrics.events_committed.labels(source).inc(committed.journaled)
        self.metrics.source_lag.labels(source).set(_lag_s(result.events[0]["time"]))
        return committed.journaled

    async def _commit(self, source: str, events: Sequence[dict[str, Any]]) -> CommitResult:
        """Commit, waiting out a Redis outage: the record is not taken as done (nor the next
        one read) until its events are committed. Committing again after a failure is safe."""
        delay = _RETRY_FIRST_S
        while True:
            try:
                committed = await self.committer.commit(events)
            except RedisUnavailableError as error:
                self.down[source] = str(error)
                log.warning(
                    "commit failed, retrying",
                    extra={"source": source, "error": str(error), "retry_in_s": delay},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX_S)
            else:
                self.down.pop(source, None)
                return committed

    def _quarantine(self, source: str, error: MalformedRecordError) -> None:
        self.metrics.quarantined.labels(source).inc()
        log.warning(
            "record quarantined",
            extra={
                "source": source,
                "origin": error.origin,
                "line": error.line,
                "reason": error.reason,
            },
        )
