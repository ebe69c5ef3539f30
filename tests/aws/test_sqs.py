"""The SQS source end to end: moto's S3 and SQS over HTTP, a real redis-server, the corpus'
real S3 export files, every message shape; and every kind of bad message."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from eventstream import codec
from eventstream.journal.keys import Keys
from eventstream.journal.quarantine import Quarantined, RedisQuarantine
from tests.aws import scene
from tests.aws.conftest import Moto
from tests.conftest import read_jsonl
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

    # Every message received was deleted, none released; moto's test event is counted and
    # deleted, never an error. SQS delivers at least once (moto too, to concurrent receivers
    # under load), so a message may come twice: the journal absorbs it.
    deleted = scene.sample(metrics, "eventstream_source_messages_total", event="deleted")
    assert received >= announced + 1
    assert deleted == received
    assert scene.sample(metrics, "eventstream_source_messages_total", event="released") == 0
    assert scene.sample(metrics, "eventstream_source_messages_total", event="ignored") >= 1
    assert scene.sample(metrics, "eventstream_source_objects_total", outcome="fetched") >= 55
    assert pipeline.totals.quarantined == 0
    assert pipeline.totals.tally.records >= 2900
    carried = scene.sample(metrics, "eventstream_source_message_records_sum")
    assert carried >= 2900  # records per message, summed
    assert scene.sample(metrics, "eventstream_source_object_bytes_total") >= sum(
        p.stat().st_size for p in scene.corpus_files(corpus)
    )

    expected = Keys(prefix=keys.prefix + "-replay")
    scene.replay(scene.corpus_files(corpus), redis_srv.url, expected)
    got, want = await scene.journal(aredis, keys), await scene.journal(aredis, expected)
    assert len(want) > 400
    assert got.keys() == want.keys()
    assert got == want


def _gzipped_records(count: int) -> bytes:
    records = [
        {"eventID": f"id-{i}", "eventName": "ListThings", "readOnly": True} for i in range(count)
    ]
    return gzip.compress(codec.dumps({"Records": records}))


async def test_bad_messages_are_each_accounted_for_and_the_pipeline_goes_on(
    moto: Moto,
    corpus: Path,
    redis_srv: RedisServer,
    aredis: Redis,
    keys: Keys,
    *,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="eventstream")
    bucket = scene.new_bucket(moto)
    queue = scene.new_queue(moto, "bad")
    s3 = moto.client("s3")
    trail = "AWSLogs/218007301253/CloudTrail/us-east-1/2023/07/10/"
    s3.put_object(Bucket=bucket, Key=trail + "empty.json.gz", Body=b"")
    s3.put_object(Bucket=bucket, Key=trail + "big.json.gz", Body=_gzipped_records(400))
    s3.put_object(Bucket=bucket, Key=trail + "plain big.json", Body=b" " * 5000)
    digest = "AWSLogs/218007301253/CloudTrail-Digest/us-east-1/2023/07/10/d.json.gz"
    s3.put_object(Bucket=bucket, Key=digest, Body=b"{}")
    envelope = next(read_jsonl(corpus / "eventbridge" / "envelopes.jsonl"))
    scene.send(
        moto,
        queue,
        [
            "{not json",
            scene.s3_event(bucket, trail + "missing.json.gz", 10),
            scene.s3_event(bucket, trail + "empty.json.gz", 0),
            scene.s3_event(bucket, digest, 2),
            scene.s3_event(bucket, trail + "big.json.gz", 1),
            scene.s3_event(bucket, trail + "plain big.json", 5000),
            {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": bucket},
            scene.sns("{}", kind="SubscriptionConfirmation"),
            envelope,
        ],
    )
    settings = scene.sqs_settings(
        moto, queue, max_object_bytes=4096, max_receive_count=2, concurrency=1
    )
    pipeline, metrics, source = scene.pipeline_for(settings, aredis, keys, redis_srv.url)

    def messages(event: str) -> float:
        return scene.sample(metrics, "eventstream_source_messages_total", event=event)

    await scene.run_until(
        pipeline, lambda: messages("deleted") >= 9 and scene.queue_depth(moto, queue) == 0
    )

    assert messages("ignored") == 2  # the test event, the subscription confirmation
    assert messages("released") == 1  # the missing object, once, before it is quarantined
    assert messages("received") == 10  # one receiver: each message once, the missing one twice
    objects = "eventstream_source_objects_total"
    assert scene.sample(metrics, objects, outcome="skipped") == 1  # the digest file
    assert scene.sample(metrics, objects, outcome="too_large") == 1  # by its length
    assert scene.sample(metrics, objects, outcome="fetched") == 2  # the empty one, big.json.gz
    assert scene.sample(metrics, "eventstream_source_errors_total", kind="not_found") == 2
    errors = "eventstream_source_errors_total"
    assert scene.sample(metrics, errors, kind="malformed_message") == 1
    reasons = [entry.reason for _, entry in await _quarantine(aredis, keys)]
    assert len(reasons) == 4, reasons
    assert any(r.startswith("malformed message: message body is not JSON") for r in reasons)
    assert any("missing.json.gz: not_found: NoSuchKey" in r for r in reasons)
    assert any("larger than 4096 bytes after decompression" in r for r in reasons)
    assert any("object of 5000 bytes is larger than max_object_bytes" in r for r in reasons)
    assert pipeline.totals.tally.records >= 1  # the envelope went through
    assert source.problem() == ""

    # The log lines of the failed objects name the queue, the bucket and the key; those of
    # the quarantined ones (objects and the malformed message) their reason too.
    def lines(message: str) -> list[dict[str, Any]]:
        return [r.__dict__ for r in caplog.records if r.getMessage() == message]

    (released,) = lines("object failed, message released")
    (failed,) = lines("object failed, quarantined")
    for line in (released, failed):
        assert (line["queue"], line["bucket"], line["key"]) == (
            queue,
            bucket,
            trail + "missing.json.gz",
        )
        assert line["kind"] == "not_found"
        assert line["error"].startswith("NoSuchKey")
    assert released["retry_s"] == 0.2
    assert failed["reason"] == (
        f"s3://{bucket}/{trail}missing.json.gz: not_found: {failed['error']} (received 2 times)"
    )
    (large,) = lines("object too large")
    assert (large["queue"], large["bucket"], large["key"]) == (
        queue,
        bucket,
        trail + "plain big.json",
    )
    assert large["reason"] == "object of 5000 bytes is larger than max_object_bytes (4096)"
    (malformed,) = lines("message quarantined")
    assert malformed["queue"] == queue
    assert malformed["reason"].startswith("malformed message: message body is not JSON")


async def test_a_queue_that_fails_is_reported_and_retried(
    moto: Moto, redis_srv: RedisServer, aredis: Redis, keys: Keys
) -> None:
    missing = f"{moto.endpoint}/123456789012/no-such-queue"
    settings = scene.sqs_settings(moto, missing)
    pipeline, metrics, source = scene.pipeline_for(settings, aredis, keys, redis_srv.url)
    errors = "eventstream_source_errors_total"
    await scene.run_until(pipeline, lambda: scene.sample(metrics, errors, kind="no_queue") >= 2)
    assert "no-such-queue: receive:" in source.problem()
    assert pipeline.health()["source:sqs"].startswith("failing: ")


async def _quarantine(redis: Redis, keys: Keys) -> list[tuple[str, Quarantined]]:
    return await RedisQuarantine(redis, keys, 100).entries(100)


async def test_a_message_received_too_often_is_quarantined_on_sight(
    moto: Moto,
    redis_srv: RedisServer,
    aredis: Redis,
    keys: Keys,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A message that some consumer kept receiving without deleting (a process that died on
    it): quarantined with the count, and deleted, without being read again."""
    queue = scene.new_queue(moto, "poison")
    scene.send(moto, queue, [scene.s3_event("no-bucket", "AWSLogs/x.json.gz", 1)])
    sqs = moto.client("sqs")
    for _ in range(3):  # three receives by consumers that never came back
        got = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0, WaitTimeSeconds=1)
        assert len(got["Messages"]) == 1
    settings = scene.sqs_settings(moto, queue, max_receive_count=3, concurrency=1)
    pipeline, metrics, _source = scene.pipeline_for(settings, aredis, keys, redis_srv.url)
    await scene.run_until(
        pipeline,
        lambda: scene.sample(metrics, "eventstream_source_messages_total", event="deleted") >= 1,
    )
    ((_, entry),) = await _quarantine(aredis, keys)
    assert entry.reason == (
        "message received 4 times without being committed (max_receive_count 3)"
    )
    assert b"no-bucket" in entry.record
    (line,) = [r.__dict__ for r in caplog.records if r.getMessage() == "message quarantined"]
    assert (line["queue"], line["receive_count"], line["reason"]) == (queue, 4, entry.reason)
    assert scene.sample(metrics, "eventstream_source_objects_total", outcome="fetched") == 0
    assert scene.queue_depth(moto, queue) == 0


async def test_sns_topic_to_queue_as_moto_delivers_it(
    moto: Moto, corpus: Path, redis_srv: RedisServer, aredis: Redis, keys: Keys
) -> None:
    """CloudTrail's notification published on a real (moto) SNS topic subscribed by the
    queue: SNS wraps it, the source unwraps it and reads the files it names."""
    bucket = scene.new_bucket(moto)
    queue = scene.new_queue(moto, "topic")
    files = sorted(scene.corpus_files(corpus), key=lambda p: -p.stat().st_size)[:3]
    names = []
    for index, path in enumerate(files):
        names.append(scene.key_of(index, path))
        moto.client("s3").put_object(Bucket=bucket, Key=names[-1], Body=path.read_bytes())
    sns = moto.client("sns")
    topic = sns.create_topic(Name=f"trail-{keys.prefix}")["TopicArn"]
    arn = moto.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(
        TopicArn=topic, Message=codec.dumps({"s3Bucket": bucket, "s3ObjectKey": names}).decode()
    )
    pipeline, metrics, _source = scene.pipeline_for(
        scene.sqs_settings(moto, queue, concurrency=1), aredis, keys, redis_srv.url
    )
    await scene.run_until(
        pipeline,
        lambda: scene.sample(metrics, "eventstream_source_messages_total", event="deleted") >= 1,
    )
    expected = Keys(prefix=keys.prefix + "-replay")
    scene.replay(files, redis_srv.url, expected)
    got, want = await scene.journal(aredis, keys), await scene.journal(aredis, expected)
    assert want
    assert got == want
    assert scene.sample(metrics, "eventstream_source_objects_total", outcome="fetched") == 3
