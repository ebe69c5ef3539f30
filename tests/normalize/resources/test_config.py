"""AWS Config: recorders, channels and rules by name; evaluations are data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from tests.conftest import read_jsonl

RECORDS = Path(__file__).resolve().parent.parent / "records" / "config.jsonl"
RULE_ARN = "arn:aws:config:us-east-1:111122223333:config-rule/config-rule-ab12cd"


def _record(name: str) -> dict[str, Any]:
    for record in read_jsonl(RECORDS):
        if record["eventName"] == name:
            return record
    raise LookupError(name)


def _only(normalizer: Normalizer, record: dict[str, Any]) -> dict[str, Any]:
    events = normalizer.normalize(record).events
    assert len(events) == 1
    return events[0]


def _call(name: str, request: dict[str, Any]) -> dict[str, Any]:
    record = _record("StopConfigurationRecorder")
    record.update(eventName=name, requestParameters=request)
    return record


def test_recorder_put_stopped_and_deleted_is_one_asset(normalizer: Normalizer) -> None:
    """`PutConfigurationRecorder` (nested name), `Stop...` and `Delete...` (name) agree."""
    put = _only(normalizer, _record("PutConfigurationRecorder"))
    stopped = _only(normalizer, _record("StopConfigurationRecorder"))
    deleted = _only(
        normalizer,
        _call("DeleteConfigurationRecorder", {"configurationRecorderName": "default"}),
    )
    assert put["subject"] == stopped["subject"] == deleted["subject"]
    assert [e["data"]["change"]["action"] for e in (put, stopped, deleted)] == [
        "update",
        "update",
        "delete",
    ]


def test_rule_put_then_deleted(normalizer: Normalizer) -> None:
    """`PutConfigRule` and `DeleteConfigRule` touch one `AWS::Config::ConfigRule`."""
    put = _only(normalizer, _record("PutConfigRule"))
    deleted = _only(normalizer, _record("DeleteConfigRule"))
    assert put["subject"] == deleted["subject"]
    assert deleted["data"]["asset"]["type"] == "AWS::Config::ConfigRule"


def test_delivery_channel_by_name(normalizer: Normalizer) -> None:
    """`PutDeliveryChannel` and `DeleteDeliveryChannel` name one delivery channel."""
    put = _only(
        normalizer,
        _call("PutDeliveryChannel", {"deliveryChannel": {"name": "default", "s3BucketName": "b"}}),
    )
    deleted = _only(normalizer, _call("DeleteDeliveryChannel", {"deliveryChannelName": "default"}))
    assert put["subject"] == deleted["subject"]
    assert put["data"]["asset"]["type"] == "AWS::Config::DeliveryChannel"


def test_rule_arn_is_not_taken_for_a_rule_name(normalizer: Normalizer) -> None:
    """A rule ARN carries the rule's generated id, not its name: it never names a ConfigRule."""
    result = normalizer.normalize(_call("TagResource", {"resourceArn": RULE_ARN, "tags": []}))
    assert all(e["data"]["asset"]["type"] != "AWS::Config::ConfigRule" for e in result.events)


@pytest.mark.parametrize("name", ["PutEvaluations", "StartConfigRulesEvaluation"])
def test_evaluations_change_no_asset(normalizer: Normalizer, name: str) -> None:
    """Evaluations are data: non-asset, with no event."""
    result = normalizer.normalize(_call(name, {"configRuleNames": ["x"]}))
    assert result.outcome is Outcome.NON_ASSET
    assert list(result.events) == []
