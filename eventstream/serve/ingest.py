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

from eventstream import codec
from eventstream.errors import MalformedRecordError
from eventstream.journal.keys import EVENT_FIELD, ID_FIELD, SUBJECT_FIELD, Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.serve.metrics import Metrics
from eventstream.sources.files import RawRecord

log = logging.getLogger(__name__)

SourceItem = RawRecord | MalformedRecordError


class Source(Protocol):
    """A stream of raw provider records."""

    name: str

    def records(self) -> AsyncIterator[SourceItem]: ...


class Committer(Protocol):
    """Appends asset events to the journal (and inventory); returns how many were new."""

    async def commit(self, events: Sequence[dict[str, Any]]) -> int: ...


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
            out[f"source:{name}"] = f"failed: {task.exception()!r}" if failed else "ok"
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
        committed = await self.committer.commit(result.events)
        self.metrics.events_committed.labels(source).inc(committed)
        self.metrics.source_lag.labels(source).set(_lag_s(result.events[0]["time"]))
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


class JournalAppender:
    """Interim committer: appends events to the journal in its contract (no inventory, no
    dedup). The journal's `Committer` replaces it where available."""

    def __init__(self, redis: Any, keys: Keys) -> None:
        self.redis = redis
        self.key = keys.journal

    async def commit(self, events: Sequence[dict[str, Any]]) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            for event in events:
                pipe.xadd(
                    self.key,
                    {
                        EVENT_FIELD: codec.dumps(event),
                        SUBJECT_FIELD: event["subject"],
                        ID_FIELD: event["id"],
                    },
                )
            await pipe.execute()
        return len(events)
