"""SQS: a queue by name, by URL (any endpoint form) or by ARN is one asset; messages are data."""

from __future__ import annotations

import pytest

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.sqs import QUEUE
from tests.normalize.resources.corpus_calls import only
from tests.normalize.resources.project_records import Family

RECORDS = Family("sqs")
ACCOUNT, REGION = "111122223333", "us-east-1"


def test_every_form_of_a_queue_names_the_same_asset(normalizer: Normalizer) -> None:
    """Name, regional URL, legacy URL, URL with a trailing slash and ARN give one asset name."""
    forms = [
        "orders-worker",
        f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/orders-worker",
        f"https://queue.amazonaws.com/{ACCOUNT}/orders-worker",
        f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/orders-worker/",
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-worker",
    ]
    refs = [normalizer.registry.resolve(QUEUE, form, ACCOUNT, REGION) for form in forms]
    names = {ref.name for ref in refs if ref is not None}
    assert names == {f"aws/{ACCOUNT}/{REGION}/sqs/queue/orders-worker"}
    assert all(ref is not None and ref.type == "AWS::SQS::Queue" for ref in refs)


def test_create_by_name_and_update_by_url_share_a_subject(normalizer: Normalizer) -> None:
    """`CreateQueue` (name only) and `SetQueueAttributes` (URL) touch the same queue."""
    record = RECORDS.record("CreateQueue")
    record["responseElements"] = None
    created = only(normalizer, record)
    updated = only(normalizer, RECORDS.record("SetQueueAttributes"))
    assert created["subject"] == updated["subject"]
    assert updated["data"]["change"]["action"] == "update"


def test_tag_queue_by_url_is_an_update(normalizer: Normalizer) -> None:
    """`TagQueue` updates the queue its URL names."""
    record = RECORDS.record("SetQueueAttributes")
    record.update(
        eventName="TagQueue",
        requestParameters={
            "queueUrl": record["requestParameters"]["queueUrl"],
            "tags": {"env": "prod"},
        },
    )
    event = only(normalizer, record)
    assert event["data"]["change"]["action"] == "update"
    assert event["subject"].endswith("/sqs/queue/orders-worker")


@pytest.mark.parametrize(
    "name", ["SendMessage", "SendMessageBatch", "DeleteMessage", "DeleteMessageBatch", "PurgeQueue"]
)
def test_message_calls_change_no_asset(normalizer: Normalizer, name: str) -> None:
    """Sending, deleting or purging messages is data: non-asset, no event."""
    record = RECORDS.record("SetQueueAttributes")
    record["eventName"] = name
    result = normalizer.normalize(record)
    assert result.outcome is Outcome.NON_ASSET
    assert list(result.events) == []


def test_receive_message_is_a_read(normalizer: Normalizer) -> None:
    """`ReceiveMessage` is recognised as a read by its verb, even with `readOnly: false`."""
    record = RECORDS.record("SetQueueAttributes")
    record["eventName"] = "ReceiveMessage"
    result = normalizer.normalize(record)
    assert result.outcome is Outcome.READ_ONLY
    assert list(result.events) == []
