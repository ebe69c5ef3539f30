"""What an SQS message announces: trail objects in S3, records delivered inline, or nothing.

A pure function of the message body (no I/O), for every shape that reaches such a queue:

- an S3 event notification (`{"Records": [{"eventSource": "aws:s3", "s3": ...}]}`, any
  `eventVersion` 2.x), delivered directly or wrapped by SNS (`Type: Notification`, the event as
  a JSON string in `Message`); its object keys are URL-encoded (`+` for a space, `%3A`...);
- an EventBridge `Object Created` event of S3 (`detail.bucket.name`, `detail.object.key`);
- CloudTrail's own SNS notification (`Message`: `{"s3Bucket": ..., "s3ObjectKey": [...]}`);
- any other EventBridge envelope (`AWS API Call via CloudTrail` and native events), delivered by
  a rule's SQS target or wrapped by SNS: a record for the normalizer;
- a bare CloudTrail record;
- `s3:TestEvent` and SNS `SubscriptionConfirmation`/`UnsubscribeConfirmation` messages, and S3
  events that are not object creations: nothing to read (ignored, with a reason).

Anything else raises `MalformedRecordError` with the reason. Object keys are then screened
(`trail_key`): CloudTrail digest and Insights files, and keys outside `AWSLogs/`, are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from eventstream import codec
from eventstream.errors import MalformedRecordError

_SNS_IGNORED = ("SubscriptionConfirmation", "UnsubscribeConfirmation")
_TRAIL_KEY = re.compile(
    r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?\d{12}/(?P<kind>CloudTrail(?:-Digest|-Insight)?)/"
)
_TRAIL_SUFFIXES = (".json.gz", ".json")


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An S3 object a message announces. `key` is decoded; `raw_key` is as the message gave
    it (tried when the decoded key is not found: some emulators do not encode keys)."""

    bucket: str
    key: str
    raw_key: str = ""

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass
class Announced:
    """What one message carries."""

    shape: str  # s3, sns+s3, eventbridge+s3, cloudtrail-sns, eventbridge, sns+eventbridge, ...
    objects: list[ObjectRef] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)
    ignored: str = ""  # why nothing is read: a test event, a subscription confirmation


def parse_message(body: str | bytes) -> Announced:
    """What the message body announces; raises `MalformedRecordError` for what it cannot be."""
    try:
        value = codec.loads(body)
    except codec.JSONDecodeError as error:
        raise MalformedRecordError(f"message body is not JSON: {error}") from None
    return _announced(value, "")


def _announced(value: Any, via: str) -> Announced:
    if not isinstance(value, dict):
        raise MalformedRecordError(f"message is not a JSON object ({type(value).__name__})")
    if value.get("Type") in _SNS_IGNORED and "TopicArn" in value:
        return Announced("sns", ignored=f"SNS {value['Type']} of {value['TopicArn']}")
    if value.get("Type") == "Notification" and isinstance(value.get("Message"), str):
        if via:
            raise MalformedRecordError("SNS notification nested in another notification")
        try:
            inner = codec.loads(value["Message"])
        except codec.JSONDecodeError as error:
            raise MalformedRecordError(f"SNS Message is not JSON: {error}") from None
        return _announced(inner, "sns+")
    if value.get("Event") == "s3:TestEvent":
        return Announced(f"{via}s3", ignored=f"s3:TestEvent of bucket {value.get('Bucket')}")
    if "s3Bucket" in value and "s3ObjectKey" in value:
        return _cloudtrail_notification(value, via)
    if isinstance(value.get("Records"), list):
        return _s3_event(value["Records"], via)
    if "detail-type" in value and isinstance(value.get("detail"), dict):
        return _eventbridge(value, via)
    if "eventID" in value and "eventSource" in value:
        return Announced(f"{via}cloudtrail", records=[value])
    raise MalformedRecordError("unknown message shape: " + ", ".join(sorted(value)[:8]))


def _cloudtrail_notification(value: dict[str, Any], via: str) -> Announced:
    bucket, keys = value["s3Bucket"], value["s3ObjectKey"]
    if not isinstance(bucket, str) or not isinstance(keys, list):
        raise MalformedRecordError("CloudTrail notification without s3Bucket and s3ObjectKey")
    objects = [ObjectRef(bucket, key) for key in keys if isinstance(key, str)]
    return Announced(f"{via}cloudtrail-sns", objects=objects)


def _s3_event(records: list[Any], via: str) -> Announced:
    found = Announced(f"{via}s3")
    other = 0
    for record in records:
        if not isinstance(record, dict):
            raise MalformedRecordError("S3 event record is not an object")
        if record.get("eventSource") != "aws:s3" or "s3" not in record:
            if "eventID" in record and "eventSource" in record:  # CloudTrail records inline
                found.records.append(record)
                continue
            raise MalformedRecordError("Records entry is neither an S3 event nor a record")
        version = str(record.get("eventVersion", ""))
        if not version.startswith("2."):
            raise MalformedRecordError(f"S3 event version {version!r} is not 2.x")
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            other += 1
            continue
        try:
            bucket = record["s3"]["bucket"]["name"]
            raw = record["s3"]["object"]["key"]
        except (KeyError, TypeError):
            raise MalformedRecordError(
                "S3 event without s3.bucket.name and s3.object.key"
            ) from None
        found.objects.append(ObjectRef(bucket, unquote_plus(raw), raw))
    if other and not found.objects and not found.records:
        found.ignored = f"{other} S3 events that are not object creations"
    return found


def _eventbridge(value: dict[str, Any], via: str) -> Announced:
    detail = value["detail"]
    if value.get("source") == "aws.s3" and value.get("detail-type") == "Object Created":
        try:
            bucket = detail["bucket"]["name"]
            raw = detail["object"]["key"]
        except (KeyError, TypeError):
            raise MalformedRecordError(
                "Object Created event without detail.bucket.name and detail.object.key"
            ) from None
        return Announced(
            f"{via}eventbridge+s3", objects=[ObjectRef(bucket, unquote_plus(raw), raw)]
        )
    return Announced(f"{via}eventbridge", records=[value])


def trail_key(key: str) -> str:
    """'' for a CloudTrail log file, else why the object is skipped."""
    match = _TRAIL_KEY.search(key)
    if match is None:
        return "not a CloudTrail log file (no AWSLogs/<account>/CloudTrail/ in the key)"
    if match["kind"] != "CloudTrail":
        return f"{match['kind']} file"
    if not key.endswith(_TRAIL_SUFFIXES):
        return "not a CloudTrail log file (not .json.gz)"
    return ""
