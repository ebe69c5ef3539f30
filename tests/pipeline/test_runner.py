"""The pipeline against a real redis-server: batches, acknowledgements, quarantine, stop."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from eventstream import codec
from eventstream.config import PipelineSettings
from eventstream.errors import CommitError, MalformedRecordError
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.journal.quarantine import RedisQuarantine
from eventstream.normalize.normalizer import Normalizer
from eventstream.pipeline import Pipeline
from eventstream.pipeline.metrics import PipelineMetrics
from eventstream.sources.base import Checkpoint, Item, RawRecord
from tests.conftest import corpus_dir, read_jsonl
from tests.sources.listsource import ListSource, Recorded


def _changing(normalizer: Normalizer, count: int) -> list[dict[str, Any]]:
    records = read_jsonl(corpus_dir() / "cloudtrail" / "invictus.jsonl")
    found = [r for r in records if normalizer.normalize(r).events]
    return found[:count]


def _items(records: list[dict[str, Any]], origin: str = "trail") -> list[Item]:
    return [RawRecord(origin, n, None, r) for n, r in enumerate(records, start=1)]


def _expected(normalizer: Normalizer, records: list[dict[str, Any]]) -> set[str]:
    return {e["id"] for r in records for e in normalizer.normalize(r).events}


async def _journal_ids(redis: Redis, keys: Keys) -> list[str]:
    rows: Any = await redis.xrange(keys.journal)
    return [codec.loads(fields[b"event"])["id"] for _, fields in rows]


def _deep(record: dict[str, Any], depth: int) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for _ in range(depth):
        nested = {"a": nested}
    poisoned = copy.deepcopy(record)
    poisoned["eventID"] = "deep-" + str(record["eventID"])
    poisoned.setdefault("requestParameters", {})
    poisoned["requestParameters"] = {**(poisoned["requestParameters"] or {}), "deep": nested}
    return poisoned


def _pipeline(
    sources: Sequence[Any], normalizer: Normalizer, redis: Redis, keys: Keys, **kw: Any
) -> Pipeline:
    settings = kw.pop("settings", PipelineSettings())
    return Pipeline(
        sources,
        normalizer,
        settings,
        committer=Committer(redis, keys),
        rejects=RedisQuarantine(redis, keys, 100),
        **kw,
    )


async def test_checkpoint_acked_after_its_records_are_committed(
    aredis: Redis, keys: Keys, normalizer: Normalizer
) -> None:
    """A checkpoint is acknowledged once everything before it is journaled."""
    records = _changing(normalizer, 40)
    ack = Recorded("message-1")
    source = ListSource("sqs", [*_items(records), Checkpoint(ack, "message-1")], chunk=7)
    settings = PipelineSettings(batch_max_events=10)
    totals = await _pipeline([source], normalizer, aredis, keys, settings=settings).run()
    assert ack.acked
    assert not ack.released
    assert set(await _journal_ids(aredis, keys)) == _expected(normalizer, records)
    assert totals.journaled == len(_expected(normalizer, records))
    assert totals.batches >= 4  # by count: 10 events a batch


async def test_poison_records_are_quarantined_and_the_rest_committed(
    aredis: Redis, keys: Keys, normalizer: Normalizer
) -> None:
    """A record too deep to encode, a non-object and an unreadable line are quarantined with
    their reasons; every good record around them is committed."""
    records = _changing(normalizer, 30)
    deep = _deep(records[0], 300)
    items: list[Item] = [
        *_items(records[:10]),
        RawRecord("trail", 11, None, deep),
        RawRecord("trail", 12, None, [1, 2]),
        MalformedRecordError("not JSON: unexpected character", origin="trail", line=13),
        *_items(records[10:]),
    ]
    pipeline = _pipeline([ListSource("files", items)], normalizer, aredis, keys)
    totals = await pipeline.run()
    assert set(await _journal_ids(aredis, keys)) == _expected(normalizer, records)
    assert totals.quarantined == 3
    assert totals.tally.malformed == 3
    entries = await RedisQuarantine(aredis, keys, 100).entries(10)
    reasons = {entry.line: entry.reason for _id, entry in entries}
    assert "nested too deep" in reasons[11]
    assert "expected a JSON object" in reasons[12]
    assert "not JSON" in reasons[13]
    assert all(entry.source == "files" for _id, entry in entries)
    deep_entry = next(entry for _id, entry in entries if entry.line == 11)
    assert (deep_entry.record and deep_entry.truncated is False) or deep_entry.record


class _Stalled:
    """Yields its items, then waits until cancelled (a queue with nothing more to say)."""

    def __init__(self, name: str, items: list[Item]) -> None:
        self.name = name
        self.items_ = items

    async def items(self) -> AsyncGenerator[Sequence[Item], None]:
        yield self.items_
        await asyncio.Event().wait()
        yield []  # pragma: no cover


async def test_stop_while_redis_is_down_releases_the_checkpoint(
    keys: Keys, normalizer: Normalizer, tmp_path: Any
) -> None:
    """A batch waiting out a Redis outage is abandoned on stop: nothing is acknowledged, its
    checkpoint is released with the reason, and `run` returns promptly."""
    down = Redis.from_url(f"unix://{tmp_path}/nothing.sock", socket_connect_timeout=0.2)
    ack = Recorded("message-2")
    records = _changing(normalizer, 5)
    source = _Stalled("sqs", [*_items(records), Checkpoint(ack, "message-2")])
    pipeline = _pipeline([source], normalizer, down, keys, wait_for_redis=True)
    task = asyncio.create_task(pipeline.run())
    for _ in range(100):
        if pipeline.down:
            break
        await asyncio.sleep(0.05)
    assert "Redis unavailable" in pipeline.down
    pipeline.stop()
    await asyncio.wait_for(task, 5)
    assert not ack.acked
    assert ack.released == "shutdown"
    await down.aclose()


async def test_a_partial_batch_is_committed_after_the_wait(
    aredis: Redis, keys: Keys, normalizer: Normalizer
) -> None:
    """Records of a source that goes quiet are committed after `batch_max_wait_s`, before the
    source ends."""
    records = _changing(normalizer, 3)
    source = _Stalled("live", _items(records))
    settings = PipelineSettings(batch_max_wait_s=0.05)
    pipeline = _pipeline([source], normalizer, aredis, keys, settings=settings)
    task = asyncio.create_task(pipeline.run())
    wanted = _expected(normalizer, records)
    for _ in range(100):
        if set(await _journal_ids(aredis, keys)) == wanted:
            break
        await asyncio.sleep(0.05)
    assert set(await _journal_ids(aredis, keys)) == wanted
    assert not task.done()
    pipeline.stop()
    await asyncio.wait_for(task, 5)


async def test_a_failing_source_does_not_stop_the_others(
    aredis: Redis, keys: Keys, normalizer: Normalizer
) -> None:
    """A source that raises is reported by `health`; the other source's records commit."""

    class Broken:
        name = "broken"

        async def items(self) -> AsyncGenerator[Sequence[Item], None]:
            yield []
            raise OSError("disk on fire")

    records = _changing(normalizer, 8)
    pipeline = _pipeline([Broken(), ListSource("good", _items(records))], normalizer, aredis, keys)
    await pipeline.run()
    assert set(await _journal_ids(aredis, keys)) == _expected(normalizer, records)
    health = pipeline.health()
    assert health["source:broken"].startswith("failed: OSError")
    assert health["source:good"] == "ok"


async def test_a_failed_commit_is_reported_by_health(keys: Keys, normalizer: Normalizer) -> None:
    """A commit that cannot succeed ends `run` with its error, and `health` names it."""

    class Refusing:
        async def commit(self, events: Sequence[dict[str, Any]], into: Any = None) -> Any:
            raise CommitError("refused", event_id=events[0]["id"], subject=events[0]["subject"])

    records = _changing(normalizer, 2)
    pipeline = Pipeline(
        [ListSource("trail", _items(records))], normalizer, PipelineSettings(), committer=Refusing()
    )
    with pytest.raises(CommitError):
        await pipeline.run()
    assert pipeline.health()["pipeline"].startswith("failed: CommitError")


async def test_a_chunk_larger_than_a_batch_is_counted_with_metrics_on(
    aredis: Redis, keys: Keys, normalizer: Normalizer
) -> None:
    """A chunk whose events fill several batches (an S3 object's records) is counted whole,
    and the lag is that of its newest event (a flush in the middle of a chunk once failed)."""
    records = _changing(normalizer, 40)
    metrics = PipelineMetrics(CollectorRegistry())
    source = ListSource("sqs", _items(records), chunk=40)
    settings = PipelineSettings(batch_max_events=5)
    pipeline = _pipeline([source], normalizer, aredis, keys, settings=settings, metrics=metrics)
    totals = await pipeline.run()
    assert totals.journaled == len(_expected(normalizer, records))
    registry = metrics.registry
    assert registry.get_sample_value("eventstream_records_in_total", {"source": "sqs"}) == 40
    lag = registry.get_sample_value("eventstream_source_lag_seconds", {"source": "sqs"})
    assert lag is not None
    assert lag > 86_400  # the corpus is years old
    assert pipeline.failed == {}
