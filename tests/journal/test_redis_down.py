"""Redis going away under a commit: a clear error, nothing half-written, work resumes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis

from eventstream import codec
from eventstream.config import JournalSettings, PipelineSettings
from eventstream.errors import RedisUnavailableError
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.pipeline import Pipeline
from eventstream.sources.base import RawRecord
from tests.conftest import corpus_dir, read_jsonl
from tests.journal.aof import AofRedis
from tests.journal.consistency import consistent
from tests.sources.listsource import ListSource

_WAIT_S = 20.0


@pytest.fixture(scope="module")
def events(normalizer: Normalizer) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for record in read_jsonl(corpus_dir() / "cloudtrail" / "invictus.jsonl"):
        found.extend(normalizer.normalize(record).events)
    return found


async def test_killed_redis_fails_the_commit_clearly_and_leaves_no_half_write(
    aof_redis: AofRedis, keys: Keys, events: list[dict[str, Any]]
) -> None:
    client = Redis.from_url(aof_redis.url, socket_timeout=5)
    try:
        committer = Committer(client, keys, JournalSettings(batch_size=10), redis_url="test")
        first = await committer.commit(events[:100])
        assert first.journaled == 100
        aof_redis.kill()
        with pytest.raises(RedisUnavailableError) as failure:
            await committer.commit(events[100:])
        assert failure.value.redis_url == "test"
        assert "Redis unavailable" in str(failure.value)
        aof_redis.start()
        assert await consistent(client, keys) == 100, "what was acknowledged survived, only"
        again = await committer.commit(events)
        assert again.duplicates >= 100
        total = await consistent(client, keys)
        assert total == len({event["id"] for event in events})
    finally:
        await client.aclose()


async def test_pipeline_waits_for_redis_and_resumes(
    aof_redis: AofRedis, keys: Keys, normalizer: Normalizer
) -> None:
    """A server's pipeline keeps its batch until the commit succeeds: it waits out the outage,
    its health says so, and the record is committed once Redis is back."""
    client = Redis.from_url(aof_redis.url, socket_timeout=5)
    try:
        records = read_jsonl(corpus_dir() / "cloudtrail" / "invictus.jsonl")
        record = next(r for r in records if len(normalizer.normalize(r).events) >= 2)
        expected = {event["id"] for event in normalizer.normalize(record).events}
        item = RawRecord(origin="invictus.jsonl", line=1, index=None, payload=record)
        pipeline = Pipeline(
            [ListSource("trail", [item])],
            normalizer,
            PipelineSettings(),
            committer=Committer(client, keys),
            wait_for_redis=True,
        )
        aof_redis.kill()
        task = asyncio.create_task(pipeline.run())
        deadline = asyncio.get_running_loop().time() + _WAIT_S
        # The wait is state the pipeline exposes (no event to await); the loop is time-bounded.
        while not pipeline.down and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        assert "Redis unavailable" in pipeline.health()["source:trail"]
        assert not task.done()
        aof_redis.start()
        totals = await asyncio.wait_for(task, _WAIT_S)
        assert totals.journaled == len(expected)
        assert pipeline.health() == {"source:trail": "ok"}
        assert await consistent(client, keys) == len(expected)
        rows: list[Any] = await client.xrange(keys.journal)  # type: ignore[assignment]
        assert {codec.loads(fields[b"event"])["id"] for _, fields in rows} == expected
    finally:
        await client.aclose()
