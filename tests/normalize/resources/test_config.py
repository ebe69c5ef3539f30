"""AWS Config: recorders, channels and rules by name; evaluations are data."""

from __future__ import annotations

import pytest

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from tests.normalize.resources.corpus_calls import only
from tests.normalize.resources.project_records import Family

RECORDS = Family("config", template="StopConfigurationRecorder")
RULE_ARN = "arn:aws:config:us-east-1:111122223333:config-rule/config-rule-ab12cd"


def test_recorder_put_stopped_and_deleted_is_one_asset(normalizer: Normalizer) -> None:
    """`PutConfigurationRecorder` (nested name), `Stop...` and `Delete...` (name) agree."""
    put = only(normalizer, RECORDS.record("PutConfigurationRecorder"))
    stopped = only(normalizer, RECORDS.record("StopConfigurationRecorder"))
    deleted = only(
        normalizer,
        RECORDS.call("DeleteConfigurationRecorder", {"configurationRecorderName": "default"}),
    )
    assert put["subject"] == stopped["subject"] == deleted["subject"]
    assert [e["data"]["change"]["action"] for e in (put, stopped, deleted)] == [
        "update",
        "update",
        "delete",
    ]


def test_rule_put_then_deleted(normalizer: Normalizer) -> None:
    """`PutConfigRule` and `DeleteConfigRule` touch one `AWS::Config::ConfigRule`."""
    put = only(normalizer, RECORDS.record("PutConfigRule"))
    deleted = only(normalizer, RECORDS.record("DeleteConfigRule"))
    assert put["subject"] == deleted["subject"]
    assert deleted["data"]["asset"]["type"] == "AWS::Config::ConfigRule"


def test_delivery_channel_by_name(normalizer: Normalizer) -> None:
    """`PutDeliveryChannel` and `DeleteDeliveryChannel` name one delivery channel."""
    put = only(
        normalizer,
        RECORDS.call(
            "PutDeliveryChannel", {"deliveryChannel": {"name": "default", "s3BucketName": "b"}}
        ),
    )
    deleted = only(
        normalizer, RECORDS.call("DeleteDeliveryChannel", {"deliveryChannelName": "default"})
    )
    assert put["subject"] == deleted["subject"]
    assert put["data"]["asset"]["type"] == "AWS::Config::DeliveryChannel"


def test_rule_arn_is_not_taken_for_a_rule_name(normalizer: Normalizer) -> None:
    """A rule ARN carries the rule's generated id, not its name: it never names a ConfigRule."""
    result = normalizer.normalize(
        RECORDS.call("TagResource", {"resourceArn": RULE_ARN, "tags": []})
    )
    assert all(e["data"]["asset"]["type"] != "AWS::Config::ConfigRule" for e in result.events)


@pytest.mark.parametrize("name", ["PutEvaluations", "StartConfigRulesEvaluation"])
def test_evaluations_change_no_asset(normalizer: Normalizer, name: str) -> None:
    """Evaluations are data: non-asset, with no event."""
    result = normalizer.normalize(RECORDS.call(name, {"configRuleNames": ["x"]}))
    assert result.outcome is Outcome.NON_ASSET
    assert list(result.events) == []
