"""What an SQS message announces, for each shape a real queue receives."""

from __future__ import annotations

import pytest

from eventstream import codec
from eventstream.errors import MalformedRecordError
from eventstream.sources.notifications import ObjectRef, parse_message, trail_key
from eventstream.sources.sqs import region_of
from tests.aws.scene import cloudtrail_notification, object_created, s3_event, sns

KEY = "trail logs:prod/AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/01/a+b c.json.gz"


def _body(value: object) -> str:
    return codec.dumps(value).decode()


def test_s3_notification_keys_are_url_decoded_in_every_wrapping() -> None:
    direct = parse_message(_body(s3_event("b", KEY, 1)))
    assert direct.shape == "s3"
    assert direct.objects == [
        ObjectRef("b", KEY, s3_event("b", KEY, 1)["Records"][0]["s3"]["object"]["key"])
    ]
    assert "%3A" in direct.objects[0].raw_key
    wrapped = parse_message(_body(sns(s3_event("b", KEY, 1, "2.3"))))
    assert (wrapped.shape, wrapped.objects[0].key) == ("sns+s3", KEY)
    bridge = parse_message(_body(object_created("b", KEY, 1)))
    assert (bridge.shape, bridge.objects[0].key) == ("eventbridge+s3", KEY)


def test_cloudtrail_notification_keys_are_taken_as_they_are() -> None:
    found = parse_message(_body(cloudtrail_notification("b", ["k+1", "k%3A2"])))
    assert found.shape == "sns+cloudtrail-sns"
    assert [o.key for o in found.objects] == ["k+1", "k%3A2"]


def test_eventbridge_envelopes_are_records_directly_or_through_sns() -> None:
    envelope = {
        "version": "0",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "detail": {"eventID": "e1", "eventSource": "ec2.amazonaws.com"},
    }
    assert parse_message(_body(envelope)).records == [envelope]
    through = parse_message(_body(sns(envelope)))
    assert (through.shape, through.records) == ("sns+eventbridge", [envelope])


def test_test_events_confirmations_and_deletions_are_ignored_with_a_reason() -> None:
    assert "s3:TestEvent" in parse_message(_body({"Event": "s3:TestEvent", "Bucket": "b"})).ignored
    assert (
        "SubscriptionConfirmation"
        in parse_message(_body(sns("{}", kind="SubscriptionConfirmation"))).ignored
    )
    removed = s3_event("b", KEY, 1)
    removed["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    assert "not object creations" in parse_message(_body(removed)).ignored


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "message body is not JSON"),
        ("[1]", "not a JSON object"),
        ('{"hello": 1}', "unknown message shape: hello"),
        (_body(sns("nope")), "SNS Message is not JSON"),
        (
            _body({"Records": [{"eventSource": "aws:s3", "eventVersion": "1.0", "s3": {}}]}),
            "is not 2.x",
        ),
        (
            _body(
                {
                    "Records": [
                        {
                            "eventSource": "aws:s3",
                            "eventVersion": "2.1",
                            "eventName": "ObjectCreated:Put",
                            "s3": {},
                        }
                    ]
                }
            ),
            "without s3.bucket.name",
        ),
    ],
)
def test_what_cannot_be_a_message_says_why(body: str, reason: str) -> None:
    with pytest.raises(MalformedRecordError, match=reason):
        parse_message(body)


@pytest.mark.parametrize(
    ("key", "skipped"),
    [
        ("AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/01/f.json.gz", ""),
        ("p/AWSLogs/o-abc123def4/111111111111/CloudTrail/eu-west-1/2026/11/01/f.json.gz", ""),
        (
            "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/11/01/f.json.gz",
            "CloudTrail-Digest",
        ),
        (
            "AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2026/11/01/f.json.gz",
            "CloudTrail-Insight",
        ),
        ("AWSLogs/111111111111/vpcflowlogs/us-east-1/2026/11/01/f.log.gz", "no AWSLogs"),
        ("AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/01/f.txt", "not .json.gz"),
    ],
)
def test_trail_keys(key: str, skipped: str) -> None:
    reason = trail_key(key)
    assert (reason == "") if not skipped else (skipped in reason)


def test_the_region_of_a_queue_url() -> None:
    assert region_of("https://sqs.eu-west-1.amazonaws.com/111111111111/trail") == "eu-west-1"
    assert region_of("http://127.0.0.1:4566/000000000000/trail") is None
