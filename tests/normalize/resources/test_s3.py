"""S3: a bucket is one global asset by name or ARN, its sub-resources are parts of it, and object
calls change no tracked asset."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.s3 import BUCKET
from tests.normalize.resources.corpus_calls import action, only, record, related

ACCOUNT = "123837392027"


def test_bucket_name_arn_and_object_arn_name_one_global_asset(normalizer: Normalizer) -> None:
    """`name`, `arn:aws:s3:::name` and an object's ARN give one bucket, in region `global`."""
    forms = ["logs", "arn:aws:s3:::logs", "arn:aws:s3:::logs/2023/07/trail.json.gz"]
    refs = [normalizer.registry.resolve(BUCKET, form, ACCOUNT, "eu-west-3") for form in forms]
    assert {ref.name for ref in refs if ref is not None} == {f"aws/{ACCOUNT}/global/s3/bucket/logs"}
    assert {ref.arn for ref in refs[:2] if ref is not None} == {"arn:aws:s3:::logs"}


def test_bucket_created_by_name_is_the_bucket_a_trail_delivers_to(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`CreateBucket` and the trail that delivers to that bucket name the same asset."""
    trail = only(normalizer, record(corpus, "CreateTrail"))
    bucket_name = trail["data"]["configuration"]["s3BucketName"]
    bucket = only(
        normalizer,
        record(
            corpus, "CreateBucket", lambda r: r["requestParameters"]["bucketName"] == bucket_name
        ),
    )
    assert related(trail)["Delivers to Bucket"] == bucket["subject"]


def test_regional_endpoint_does_not_change_the_bucket(corpus: Path, normalizer: Normalizer) -> None:
    """A call through a regional endpoint in another region names the same global bucket."""
    raw = record(corpus, "PutBucketPolicy")
    expected = only(normalizer, raw)["subject"]
    raw.update(awsRegion="ap-southeast-2")
    raw["requestParameters"]["Host"] = "bucket.s3.ap-southeast-2.amazonaws.com"
    assert only(normalizer, raw)["subject"] == expected


@pytest.mark.parametrize(
    "name",
    ["DeleteBucketPolicy", "DeleteBucketLifecycle", "PutBucketLifecycle", "PutBucketTagging"],
)
def test_sub_resource_calls_update_the_bucket(
    corpus: Path, normalizer: Normalizer, name: str
) -> None:
    """Putting or deleting a bucket's policy, lifecycle or tags is an update of the bucket."""
    event = only(normalizer, record(corpus, name))
    assert action(event) == "update"
    assert event["data"]["asset"]["type"] == "AWS::S3::Bucket"


@pytest.mark.parametrize(
    "name",
    [
        "DeleteBucketEncryption",
        "DeleteBucketCors",
        "DeletePublicAccessBlock",
        "PutBucketVersioning",
    ],
)
def test_other_sub_resource_calls_update_the_bucket(
    corpus: Path, normalizer: Normalizer, name: str
) -> None:
    """Sub-resource calls the corpus lacks are updates too (a real record, renamed)."""
    raw = record(corpus, "DeleteBucketPolicy")
    raw["eventName"] = name
    event = only(normalizer, raw)
    assert action(event) == "update"
    assert event["subject"].endswith("/s3/bucket/" + raw["requestParameters"]["bucketName"])


def test_bucket_logging_names_the_target_bucket(corpus: Path, normalizer: Normalizer) -> None:
    """`PutBucketLogging` updates the bucket and relates it to the bucket it logs to."""
    raw = record(corpus, "PutBucketPolicy")
    raw["eventName"] = "PutBucketLogging"
    raw["requestParameters"] = {
        "bucketName": raw["requestParameters"]["bucketName"],
        "logging": "",
        "BucketLoggingStatus": {
            "LoggingEnabled": {"TargetBucket": "audit-logs", "TargetPrefix": "s3/"}
        },
    }
    event = only(normalizer, raw)
    assert action(event) == "update"
    assert related(event) == {"Logs to Bucket": f"aws/{ACCOUNT}/global/s3/bucket/audit-logs"}


@pytest.mark.parametrize("name", ["PutObject", "DeleteObject", "DeleteObjects", "CopyObject"])
def test_object_calls_change_no_tracked_asset(
    corpus: Path, normalizer: Normalizer, name: str
) -> None:
    """Object writes are data: non-asset, no event."""
    raw = record(corpus, "PutBucketPolicy")
    raw["eventName"] = name
    result = normalizer.normalize(raw)
    assert result.outcome is Outcome.NON_ASSET
    assert list(result.events) == []
