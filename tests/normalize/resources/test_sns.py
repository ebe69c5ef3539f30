"""SNS: a topic by name or ARN is one asset; subscriptions are created, confirmed and deleted
by their ARN and linked to their topic; publishing changes nothing."""

from __future__ import annotations

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from tests.normalize.resources.corpus_calls import only
from tests.normalize.resources.project_records import Family

RECORDS = Family("sns", template="CreateTopic")


def test_topic_by_name_and_by_arn_share_a_subject(normalizer: Normalizer) -> None:
    """`CreateTopic` naming the topic only by name and `SetTopicAttributes` by ARN agree."""
    created = only(normalizer, RECORDS.record("CreateTopic"))
    by_name = RECORDS.record("CreateTopic")
    by_name["responseElements"] = None
    record = RECORDS.call(
        "SetTopicAttributes", {"topicArn": created["data"]["asset"]["arn"], "attributeName": "x"}
    )
    updated = only(normalizer, record)
    assert only(normalizer, by_name)["subject"] == created["subject"] == updated["subject"]
    assert created["subject"].endswith("/sns/topic/orders-events")
    assert updated["data"]["change"]["action"] == "update"


def test_unsubscribe_deletes_the_subscription_subscribe_created(normalizer: Normalizer) -> None:
    """`Unsubscribe` is a delete of the very subscription `Subscribe` created, tied to its topic."""
    created = only(normalizer, RECORDS.record("Subscribe"))
    deleted = only(normalizer, RECORDS.record("Unsubscribe"))
    topic = only(normalizer, RECORDS.record("CreateTopic"))
    assert created["data"]["change"]["action"] == "create"
    assert deleted["data"]["change"]["action"] == "delete"
    assert deleted["subject"] == created["subject"]
    assert deleted["data"]["asset"]["type"] == "AWS::SNS::Subscription"
    assert [a["name"] for a in deleted["data"]["associations"]] == [topic["subject"]]


def test_pending_subscription_updates_the_topic(normalizer: Normalizer) -> None:
    """A subscription awaiting confirmation has no ARN yet: the call updates the topic."""
    record = RECORDS.record("Subscribe")
    record["responseElements"] = {"subscriptionArn": "pending confirmation"}
    event = only(normalizer, record)
    assert event["data"]["asset"]["type"] == "AWS::SNS::Topic"
    assert event["data"]["change"]["action"] == "update"


def test_confirm_subscription_creates_it(normalizer: Normalizer) -> None:
    """`ConfirmSubscription` creates the subscription named in its response."""
    subscribed = only(normalizer, RECORDS.record("Subscribe"))
    record = RECORDS.record("Subscribe")
    record["eventName"] = "ConfirmSubscription"
    record["requestParameters"] = {
        "topicArn": record["requestParameters"]["topicArn"],
        "token": "t",
    }
    event = only(normalizer, record)
    assert event["subject"] == subscribed["subject"]
    assert event["data"]["change"]["action"] == "create"


def test_tagging_a_topic_by_arn_updates_it(normalizer: Normalizer) -> None:
    """`TagResource` with a topic ARN is an update of that topic."""
    topic = only(normalizer, RECORDS.record("CreateTopic"))
    record = RECORDS.call("TagResource", {"resourceArn": topic["data"]["asset"]["arn"], "tags": []})
    event = only(normalizer, record)
    assert (event["subject"], event["data"]["change"]["action"]) == (topic["subject"], "update")


def test_publishing_changes_no_asset(normalizer: Normalizer) -> None:
    """`Publish` is data: counted as non-asset, with no event."""
    record = RECORDS.record("Subscribe")
    record.update(eventName="Publish", responseElements={"messageId": "m-1"})
    result = normalizer.normalize(record)
    assert result.outcome is Outcome.NON_ASSET
    assert list(result.events) == []
