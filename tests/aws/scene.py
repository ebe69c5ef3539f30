"""The scene of the SQS tests: the corpus' S3 export files in a moto bucket, announced on a
queue in every message shape a real queue receives (real-AWS-shaped, with URL-encoded keys),
and a pipeline that runs the SQS source into the journal until the queue is drained."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from eventstream import codec
from eventstream.commands.common import committing_pipeline
from eventstream.config import Settings, SqsSourceSettings
from eventstream.journal.keys import Keys
from eventstream.pipeline import Pipeline
from eventstream.pipeline.metrics import PipelineMetrics
from eventstream.sources.sqs import SqsSource
from tests.aws.conftest import REGION, Moto
from tests.serve.servers import ROOT

ACCOUNT = "218007301253"
TOPIC_ACCOUNT = "123456789012"  # moto's default account

# Where the files go: a plain trail layout, a prefix with a space and a colon, and an
# organization trail whose file names hold spaces and colons.
LAYOUTS = (
    "AWSLogs/{account}/CloudTrail/us-east-1/2023/07/10/{name}",
    "trail logs:prod/AWSLogs/{account}/CloudTrail/us-east-1/2023/07/10/{name}",
    "org trail/AWSLogs/o-ab12cd34ef/{account}/CloudTrail/us-east-1/2023/07/10/copy: {name}",
)
SHAPES = ("s3", "sns+s3", "eventbridge+s3", "cloudtrail-sns", "moto-s3")


def s3_event(bucket: str, key: str, size: int, version: str = "2.1") -> dict[str, Any]:
    """An S3 event notification as real S3 sends it: the key URL-encoded."""
    return {
        "Records": [
            {
                "eventVersion": version,
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2023-07-10T12:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AROAEXAMPLE:cloudtrail"},
                "requestParameters": {"sourceIPAddress": "10.0.0.1"},
                "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "trail-files",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                        "sequencer": "0055AED6DCD90281E5",
                    },
                },
            }
        ]
    }


def sns(message: dict[str, Any] | str, kind: str = "Notification") -> dict[str, Any]:
    """An SNS envelope as SQS receives it (not raw delivery)."""
    text = message if isinstance(message, str) else codec.dumps(message).decode()
    envelope: dict[str, Any] = {
        "Type": kind,
        "MessageId": str(uuid.uuid4()),
        "TopicArn": f"arn:aws:sns:{REGION}:{TOPIC_ACCOUNT}:trail-notifications",
        "Message": text,
        "Timestamp": "2023-07-10T12:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
    }
    if kind == "Notification":
        envelope["UnsubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"
    else:
        envelope["Token"] = "2336412f37fb687f5d51e6e241d09c80"
        envelope["SubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
    return envelope


def object_created(bucket: str, key: str, size: int) -> dict[str, Any]:
    """S3's EventBridge `Object Created` event (delivered by a rule's SQS target)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": TOPIC_ACCOUNT,
        "time": "2023-07-10T12:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": quote_plus(key, safe="/"), "size": size, "etag": "x"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": ACCOUNT,
            "reason": "PutObject",
        },
    }


def cloudtrail_notification(bucket: str, keys: list[str]) -> dict[str, Any]:
    """CloudTrail's own SNS notification of delivered files (keys not encoded)."""
    return sns({"s3Bucket": bucket, "s3ObjectKey": keys})


def corpus_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "s3-export" / "invictus").glob("*.json.gz"))


def key_of(index: int, path: Path) -> str:
    return LAYOUTS[index % len(LAYOUTS)].format(account=ACCOUNT, name=path.name)


def send(moto: Moto, queue_url: str, bodies: Sequence[dict[str, Any] | str]) -> None:
    sqs = moto.client("sqs")
    for body in bodies:
        text = body if isinstance(body, str) else codec.dumps(body).decode()
        sqs.send_message(QueueUrl=queue_url, MessageBody=text)


def new_queue(moto: Moto, name: str, **attributes: str) -> str:
    url: str = moto.client("sqs").create_queue(
        QueueName=f"{name}-{uuid.uuid4().hex[:8]}", Attributes=attributes
    )["QueueUrl"]
    return url


def new_bucket(moto: Moto) -> str:
    bucket = f"trail-{uuid.uuid4().hex[:12]}"
    moto.client("s3").create_bucket(Bucket=bucket)
    return bucket


def announce_every_shape(moto: Moto, corpus: Path, bucket: str, queue_url: str) -> int:
    """Upload the 55 export files and announce each in one of the shapes (in turn); returns
    the number of messages that carry files (moto's own test event not counted)."""
    s3 = moto.client("s3")
    files = corpus_files(corpus)
    by_shape: dict[str, list[tuple[str, int]]] = {shape: [] for shape in SHAPES}
    for index, path in enumerate(files):
        by_shape[SHAPES[index % len(SHAPES)]].append((key_of(index, path), path.stat().st_size))
    for key, _size in [k for shape in SHAPES if shape != "moto-s3" for k in by_shape[shape]]:
        index = next(i for i, p in enumerate(files) if key_of(i, p) == key)
        s3.put_object(Bucket=bucket, Key=key, Body=files[index].read_bytes())
    messages: list[dict[str, Any] | str] = []
    messages += [s3_event(bucket, key, size) for key, size in by_shape["s3"]]
    messages += [sns(s3_event(bucket, key, size, "2.2")) for key, size in by_shape["sns+s3"]]
    messages += [object_created(bucket, key, size) for key, size in by_shape["eventbridge+s3"]]
    trail_keys = [key for key, _ in by_shape["cloudtrail-sns"]]
    messages += [
        cloudtrail_notification(bucket, trail_keys[i : i + 3]) for i in range(0, len(trail_keys), 3)
    ]
    messages = [m for m in messages if not _empty_notification(m)]
    send(moto, queue_url, messages)
    # moto's own notifications (a test event first, then one per object, keys not encoded)
    queue_arn = moto.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    for key, _size in by_shape["moto-s3"]:
        index = next(i for i, p in enumerate(files) if key_of(i, p) == key)
        s3.put_object(Bucket=bucket, Key=key, Body=files[index].read_bytes())
    return len(messages) + len(by_shape["moto-s3"])


def _empty_notification(message: dict[str, Any] | str) -> bool:
    if isinstance(message, str) or "Message" not in message:
        return False
    inner = codec.loads(message["Message"])
    return isinstance(inner, dict) and inner.get("s3ObjectKey") == []


def sqs_settings(moto: Moto, queue_url: str, **overrides: Any) -> SqsSourceSettings:
    table: dict[str, Any] = {
        "type": "sqs",
        "queue_url": queue_url,
        "region": REGION,
        "endpoint_url": moto.endpoint,
        "wait_time_s": 1,
        "visibility_timeout_s": 30,
        "retry_first_s": 0.2,
        "retry_max_s": 1.0,
        **overrides,
    }
    return SqsSourceSettings.model_validate(table)


def pipeline_for(
    source_settings: SqsSourceSettings, redis: Redis, keys: Keys, redis_url: str
) -> tuple[Pipeline, PipelineMetrics, SqsSource]:
    settings = Settings()
    metrics = PipelineMetrics(CollectorRegistry())
    source = SqsSource(source_settings, name="sqs", metrics=metrics)
    pipeline = committing_pipeline(
        settings,
        [source],
        redis=redis,
        keys=keys,
        redis_url=redis_url,
        metrics=metrics,
        wait_for_redis=True,
    )
    return pipeline, metrics, source


def sample(metrics: PipelineMetrics, name: str, **labels: str) -> float:
    """One sample of a metric of the pipeline's registry (0 when never set)."""
    registry = metrics.registry
    value = registry.get_sample_value(name, {"source": "sqs", **labels})
    return float(value or 0.0)


def queue_depth(moto: Moto, queue_url: str) -> int:
    attributes = moto.client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


async def run_until(pipeline: Pipeline, done: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Run `pipeline` until `done()` holds (checked every 0.2 s), then stop it."""
    task = asyncio.create_task(pipeline.run())
    deadline = time.monotonic() + timeout_s
    try:
        while not done():
            if task.done():
                await task
                raise AssertionError("the pipeline ended by itself")
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the pipeline")
            await asyncio.sleep(0.2)
    finally:
        pipeline.stop()
        await asyncio.wait_for(task, 30)


def replay(paths: list[Path], redis_url: str, keys: Keys) -> str:
    """`eventstream replay` of `paths` into `keys`' prefix; its stderr."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "eventstream",
            "replay",
            *map(str, paths),
            "--quiet",
            "--redis-url",
            redis_url,
            "--prefix",
            keys.prefix,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    return done.stderr


async def journal(redis: Redis, keys: Keys) -> dict[str, dict[str, Any]]:
    """The journal's events by id, without what depends on commit order (previous
    configuration, the patch from it, the asset version)."""
    rows: list[Any] = await redis.xrange(keys.journal)  # type: ignore[assignment]
    found: dict[str, dict[str, Any]] = {}
    for _id, fields in rows:
        event = codec.loads(fields[b"event"])
        for name in ("previous_configuration", "changes", "version", "previous_version"):
            event["data"].pop(name, None)
        assert event["id"] not in found, "an event journaled twice"
        found[event["id"]] = event
    return found
