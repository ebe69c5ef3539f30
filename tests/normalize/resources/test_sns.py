"""SNS: a topic by name or ARN is one asset; subscriptions are created, confirmed and deleted
by their ARN and linked to their topic; publishing changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from tests.conftest import read_jsonl

RECORDS = Path(__file__).resolve().parent.parent / "records" / "sns.jsonl"


def _record(name: str) -> dict[str, Any]:
    for record in read_jsonl(RECORDS):
        if record["eventName"] == name:
            return record
    raise LookupError(name)


def _only(normalizer: Normalizer, record: dict[str, Any]) -> dict[str, Any]:
    events = normalizer.normalize(record).events
    assert len(events) == 1
    return events[0]


def test_topic_by_name_and_by_arn_share_a_subject(normalizer: Normalizer) -> None:
    """`CreateTopic` naming the topic only by name and `SetTopicAttributes` by ARN agree."""
    created = _only(normalizer, _record("CreateTopic"))
    by_name = _record("CreateTopic")
    by_name["responseElements"] = None
    record = _record("CreateTopic")
    record.update(
        eventName="SetTopicAttributes",
        requestParameters={"topicArn": created["data"]["asset"]["arn"], "attributeName": "x"},
        responseElements=None,
    )
    updated = _only(normalizer, record)
    assert _only(normalizer, by_name)["subject"] == created["subject"] == updated["subject"]
    assert created["subject"].endswith("/sns/topic/orders-events")
    assert updated["data"]["change"]["action"] == "update"


def test_unsubscribe_deletes_the_subscription_subscribe_created(normalizer: Normalizer) -> None:
    """`Unsubscribe` is a delete of the very subscription `Subscribe` created, tied to its topic."""
    created = _only(normalizer, _record("Subscribe"))
    deleted = _only(normalizer, _record("Unsubscribe"))
    topic = _only(normalizer, _record("CreateTopic"))
    assert created["data"]["change"]["action"] == "create"
    assert deleted["data"]["change"]["action"] == "delete"
    assert deleted["subject"] == created["subject"]
    assert deleted["data"]["asset"]["type"] == "AWS::SNS::Subscription"
    assert [a["name"] for a in deleted["data"]["associations"]] == [topic["subject"]]


def test_pending_subscription_updates_the_topic(normalizer: Normalizer) -> None:
    """A subscription awaiting confirmation has no ARN yet: the call updates the topic."""
    record = _record("Subscribe")
    record["responseElements"] = {"subscriptionArn": "pending confirmation"}
    event = _only(normalizer, record)
    assert event["data"]["asset"]["type"] == "AWS::SNS::Topic"
    assert event["data"]["change"]["action"] == "update"


def test_confirm_subscription_creates_it(normalizer: Normalizer) -> None:
    """`ConfirmSubscription` creates the subscription named in its response."""
    subscribed = _only(normalizer, _record("Subscribe"))
    record = _record("Subscribe")
    record["eventName"] = "ConfirmSubscription"
    record["requestParameters"] = {
        "topicArn": record["requestParameters"]["topicArn"],
        "token": "t",
    }
    event = _only(normalizer, record)
    assert event["subject"] == subscribed["subject"]
    assert event["data"]["change"]["action"] == "create"


def test_tagging_a_topic_by_arn_updates_it(normalizer: Normalizer) -> None:
    """`TagResource` with a topic ARN is an update of that topic."""
    topic = _only(normalizer, _record("CreateTopic"))
    record = _record("CreateTopic")
    record.update(
        eventName="TagResource",
        requestParameters={"resourceArn": topic["data"]["asset"]["arn"], "tags": []},
        responseElements=None,
    )
    event = _only(normalizer, record)
    assert (event["subject"], event["data"]["change"]["action"]) == (topic["subject"], "update")


def test_publishing_changes_no_asset(normalizer: Normalizer) -> None:
    """`Publish` is data: counted as non-asset, with no event."""
    record = _record("Subscribe")
    record.update(eventName="Publish", responseElements={"messageId": "m-1"})
    result = normalizer.normalize(record)
    assert result.outcome is Outcome.NON_ASSET
    assert list(result.events) == []
