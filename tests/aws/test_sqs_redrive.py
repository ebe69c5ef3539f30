"""A message that always fails on a queue with a redrive policy (moto applies it as SQS does:
a message received `maxReceiveCount` times goes to the dead-letter queue on the next receive).
Each failure releases it with a backoff that doubles; at the source's `max_receive_count`
receives it is quarantined in Redis and deleted, unless the queue's `maxReceiveCount` is lower:
then SQS moves it to the dead-letter queue first and it is never quarantined."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from redis.asyncio import Redis

from eventstream import codec
from eventstream.journal.keys import Keys
from eventstream.journal.quarantine import RedisQuarantine
from tests.aws import scene
from tests.aws.conftest import Moto
from tests.serve.servers import RedisServer

_KEY = "AWSLogs/218007301253/CloudTrail/us-east-1/2023/07/10/gone.json.gz"


def _with_dead_letters(moto: Moto, name: str, max_receive_count: int) -> tuple[str, str]:
    """A queue whose redrive policy sends to a dead-letter queue; both URLs."""
    sqs = moto.client("sqs")
    dead = scene.new_queue(moto, f"{name}-dlq")
    arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = {"deadLetterTargetArn": arn, "maxReceiveCount": str(max_receive_count)}
    return scene.new_queue(moto, name, RedrivePolicy=codec.dumps(policy).decode()), dead


async def test_released_with_backoff_then_quarantined_or_dead_lettered_by_the_lower_count(
    moto: Moto,
    redis_srv: RedisServer,
    aredis: Redis,
    keys: Keys,
    *,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="eventstream.sources.sqs")
    bucket = scene.new_bucket(moto)  # the object is missing: every attempt fails
    ours, ours_dlq = _with_dead_letters(moto, "ours-first", 5)  # the source's 3 comes first
    theirs, theirs_dlq = _with_dead_letters(moto, "dlq-first", 2)  # the queue's 2 comes first
    scene.send(moto, ours, [scene.s3_event(bucket, _KEY, 10)])
    scene.send(moto, theirs, [scene.s3_event(bucket, _KEY, 10)])
    settings = scene.sqs_settings(
        moto,
        ours,
        queue_urls=[theirs],
        max_receive_count=3,
        retry_first_s=1.0,
        retry_max_s=8.0,
        concurrency=1,
    )
    pipeline, metrics, _source = scene.pipeline_for(settings, aredis, keys, redis_srv.url)
    quarantine = RedisQuarantine(aredis, keys, 10)
    settled = {"quarantined": 0}

    def done() -> bool:
        settled["quarantined"] = int(pipeline.totals.quarantined)
        return (
            settled["quarantined"] >= 1
            and scene.queue_depth(moto, ours) == 0
            and scene.queue_depth(moto, theirs) == 0
            and scene.queue_depth(moto, theirs_dlq) == 1
        )

    await scene.run_until(pipeline, done, timeout_s=40)

    def released(queue: str) -> list[Any]:
        return [
            r.__dict__["visibility_s"]
            for r in caplog.records
            if r.getMessage() == "message released" and r.__dict__["queue"] == queue
        ]

    # The source's count is the lower: released after receives 1 and 2 (1 s, then 2 s),
    # quarantined with its reason at the third, deleted; the dead-letter queue never sees it.
    assert released(ours) == [1, 2]
    ((_, entry),) = await quarantine.entries(10)
    assert entry.reason.startswith(f"s3://{bucket}/{_KEY}: not_found: NoSuchKey")
    assert entry.reason.endswith("(received 3 times)")
    assert scene.queue_depth(moto, ours_dlq) == 0
    # The queue's count is the lower: released after receives 1 and 2, then SQS moves it to
    # the dead-letter queue (received 2 times, never quarantined).
    assert released(theirs) == [1, 2]
    (dead,) = moto.client("sqs").receive_message(
        QueueUrl=theirs_dlq, AttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    assert codec.loads(dead["Body"])["Records"][0]["s3"]["bucket"]["name"] == bucket
    assert dead["Attributes"]["ApproximateReceiveCount"] == "3"  # 2 in ours, 1 just now
    assert scene.sample(metrics, "eventstream_source_messages_total", event="quarantined") == 1
    assert scene.sample(metrics, "eventstream_source_messages_total", event="released") == 4
