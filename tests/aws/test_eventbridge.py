"""EventBridge `PutEvents` of the corpus' CloudTrail envelopes → a rule → its SQS target (all
in moto, over HTTP) → the SQS source → the journal; and the visibility of a message whose
commit is held up: extended while it waits, released (visible again at once) on shutdown."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from eventstream import codec
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from tests.aws import scene
from tests.aws.conftest import Moto
from tests.conftest import read_jsonl
from tests.serve.servers import RedisServer


def _api_calls(corpus: Path) -> list[dict[str, Any]]:
    return [
        envelope
        for envelope in read_jsonl(corpus / "eventbridge" / "envelopes.jsonl")
        if envelope.get("detail-type") == "AWS API Call via CloudTrail"
    ]


async def test_put_events_through_a_rule_to_the_journal(
    moto: Moto,
    corpus: Path,
    redis_srv: RedisServer,
    aredis: Redis,
    keys: Keys,
) -> None:
    normalizer = Normalizer(default_registry())
    queue = scene.new_queue(moto, "bus")
    arn = moto.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events = moto.client("events")
    rule = f"api-calls-{keys.prefix}"
    events.put_rule(
        Name=rule,
        EventPattern=codec.dumps({"detail-type": ["AWS API Call via CloudTrail"]}).decode(),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn}])
    envelopes = _api_calls(corpus)
    assert len(envelopes) == 11
    for envelope in envelopes:
        answer = events.put_events(
            Entries=[
                {
                    "Source": envelope["source"],
                    "DetailType": envelope["detail-type"],
                    "Detail": codec.dumps(envelope["detail"]).decode(),
                    "Resources": envelope.get("resources", []),
                }
            ]
        )
        assert answer["FailedEntryCount"] == 0

    expected = {event["id"] for e in envelopes for event in normalizer.normalize(e).events}
    pipeline, metrics, _source = scene.pipeline_for(
        scene.sqs_settings(moto, queue), aredis, keys, redis_srv.url
    )

    def done() -> bool:
        deleted = scene.sample(metrics, "eventstream_source_messages_total", event="deleted")
        return deleted >= len(envelopes) and scene.queue_depth(moto, queue) == 0

    await scene.run_until(pipeline, done)
    journal = await scene.journal(aredis, keys)
    assert expected
    assert set(journal) == expected
    assert pipeline.totals.quarantined == 0
    assert scene.sample(metrics, "eventstream_source_messages_total", event="received") >= 11


async def test_visibility_extended_while_the_commit_waits_then_released_on_shutdown(
    moto: Moto, corpus: Path, keys: Keys, tmp_path: Path
) -> None:
    queue = scene.new_queue(moto, "slow")
    scene.send(moto, queue, _api_calls(corpus)[:1])
    down = Redis(unix_socket_path=str(tmp_path / "no-redis.sock"))  # every commit waits
    settings = scene.sqs_settings(moto, queue, visibility_timeout_s=10, concurrency=1)
    pipeline, metrics, _source = scene.pipeline_for(settings, down, keys, "unix://down")
    try:
        await scene.run_until(
            pipeline,
            lambda: (
                scene.sample(metrics, "eventstream_source_messages_total", event="extended") >= 1
            ),
            timeout_s=30,
        )
    finally:
        await down.aclose()
    # still not deleted; released at shutdown, so visible again at once (not in 10 s)
    assert scene.sample(metrics, "eventstream_source_messages_total", event="released") == 1
    assert scene.sample(metrics, "eventstream_source_messages_total", event="deleted") == 0
    # Visible again at once: within moto's clock resolution (its timestamps are compared with
    # `>`, so a message released in the same instant shows a moment later), not in 10 s.
    visible = "0"
    for _ in range(40):
        attributes = moto.client("sqs").get_queue_attributes(
            QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        visible = attributes["ApproximateNumberOfMessages"]
        if visible == "1":
            break
        await asyncio.sleep(0.05)
    assert visible == "1"
