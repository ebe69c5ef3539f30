"""The SQS source end to end: moto's S3 and SQS over HTTP, a real redis-server, the corpus'
real S3 export files, every message shape; and every kind of bad message."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from eventstream.journal.keys import Keys
from tests.aws import scene
from tests.aws.conftest import Moto
from tests.serve.servers import RedisServer


async def test_every_shape_gives_the_replay_journal_and_drains_the_queue(
    moto: Moto, corpus: Path, redis_srv: RedisServer, aredis: Redis, keys: Keys
) -> None:
    bucket = scene.new_bucket(moto)
    queue = scene.new_queue(moto, "trail")
    announced = scene.announce_every_shape(moto, corpus, bucket, queue)
    pipeline, metrics, _source = scene.pipeline_for(
        scene.sqs_settings(moto, queue, concurrency=3), aredis, keys, redis_srv.url
    )
    received = 0.0

    def drained() -> bool:
        nonlocal received
        received = scene.sample(metrics, "eventstream_source_messages_total", event="received")
        deleted = scene.sample(metrics, "eventstream_source_messages_total", event="deleted")
        return deleted >= announced + 1 and scene.queue_depth(moto, queue) == 0

    await scene.run_until(pipeline, drained)

    # moto's test event is counted and deleted, never an error; every message deleted once
    assert scene.sample(metrics, "eventstream_source_messages_total", event="ignored") == 1
    assert received == announced + 1
    assert scene.sample(metrics, "eventstream_source_messages_total", event="released") == 0
    assert scene.sample(metrics, "eventstream_source_objects_total", outcome="fetched") == 55
    assert pipeline.totals.quarantined == 0
    assert pipeline.totals.tally.records == 2900

    expected = Keys(prefix=keys.prefix + "-replay")
    scene.replay(scene.corpus_files(corpus), redis_srv.url, expected)
    got, want = await scene.journal(aredis, keys), await scene.journal(aredis, expected)
    assert len(want) > 400
    assert got.keys() == want.keys()
    assert got == want
