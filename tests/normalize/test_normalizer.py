"""The normalizer end to end on real records: multi-asset calls, envelopes, ids and times."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from eventstream.errors import MalformedRecordError
from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer, event_id
from tests.conftest import find_record, read_jsonl

INVICTUS = "cloudtrail/invictus.jsonl"
CUSTODIAN = "cloudtrail/custodian.jsonl"
ENVELOPES = "eventbridge/envelopes.jsonl"


def _subjects(events: list[dict[str, Any]]) -> list[str]:
    return [event["subject"] for event in events]


def test_run_instances_creates_one_asset_per_instance(corpus: Path, normalizer: Normalizer) -> None:
    """`RunInstances` launching two instances yields two creates with their configuration."""
    record = find_record(corpus / CUSTODIAN, "6da8b953-741f-4273-be3f-289b92b4d1fc")
    events = normalizer.normalize(record).events
    launched = [i["instanceId"] for i in record["responseElements"]["instancesSet"]["items"]]
    assert len(launched) == 2
    assert [e["data"]["asset"]["provider_id"] for e in events] == launched
    for event, item in zip(
        events, record["responseElements"]["instancesSet"]["items"], strict=True
    ):
        assert event["type"] == "io.eventstream.asset.create"
        assert event["data"]["asset"]["type"] == "AWS::EC2::Instance"
        assert event["data"]["configuration"] == item
        assert event["data"]["configuration_source"] == "event"
        related = {a["name"] for a in event["data"]["associations"]}
        assert any("/ec2/subnet/" + item["subnetId"] in name for name in related)


def test_terminate_instances_deletes_each_instance(corpus: Path, normalizer: Normalizer) -> None:
    """`TerminateInstances` over several ids deletes each, with no configuration."""
    record = copy.deepcopy(find_record(corpus / INVICTUS, "2d893b1d-e8f2-499b-a558-cb927d9b48ea"))
    record["requestParameters"]["instancesSet"]["items"].append(
        {"instanceId": "i-0123456789abcdef0"}
    )
    events = normalizer.normalize(record).events
    assert len(events) == 2
    assert {e["data"]["change"]["action"] for e in events} == {"delete"}
    assert events[1]["subject"] == "aws/123837392027/us-east-1/ec2/instance/i-0123456789abcdef0"
    assert all(e["data"]["configuration"] is None for e in events)


def test_attach_volume_updates_instance_and_volume(corpus: Path, normalizer: Normalizer) -> None:
    """`AttachVolume` updates both the volume and the instance, each naming the other."""
    record = copy.deepcopy(find_record(corpus / INVICTUS, "2d893b1d-e8f2-499b-a558-cb927d9b48ea"))
    record.update(
        eventName="AttachVolume",
        requestParameters={
            "volumeId": "vol-0fc2e34e74650e145",
            "instanceId": "i-0dbc91f429e48eeed",
            "device": "/dev/sdf",
        },
        responseElements={"volumeId": "vol-0fc2e34e74650e145"},
    )
    events = normalizer.normalize(record).events
    types = {e["data"]["asset"]["type"]: e for e in events}
    assert set(types) == {"AWS::EC2::Volume", "AWS::EC2::Instance"}
    assert {e["data"]["change"]["action"] for e in events} == {"update"}
    volume, instance = types["AWS::EC2::Volume"], types["AWS::EC2::Instance"]
    assert volume["data"]["associations"][0]["name"] == instance["subject"]
    assert instance["data"]["associations"][0]["name"] == volume["subject"]


def test_create_tags_updates_every_tagged_resource(corpus: Path, normalizer: Normalizer) -> None:
    """`CreateTags` on several ids updates each, typed by its id prefix."""
    record = copy.deepcopy(_first(corpus, "CreateTags"))
    record["requestParameters"]["resourcesSet"]["items"] += [
        {"resourceId": "i-0dbc91f429e48eeed"},
        {"resourceId": "sg-04cfb7a4712d75b00"},
        {"resourceId": "vol-0a2e548958718390d"},
        {"resourceId": "nothing-known-1"},
    ]
    events = normalizer.normalize(record).events
    assert [e["data"]["asset"]["type"] for e in events] == [
        "AWS::EC2::Image",
        "AWS::EC2::Instance",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::Volume",
    ]
    assert {e["data"]["change"]["action"] for e in events} == {"update"}


def _first(corpus: Path, name: str) -> dict[str, Any]:
    for record in read_jsonl(corpus / INVICTUS):
        if record["eventName"] == name and not record.get("errorCode"):
            return record
    raise LookupError(name)


def test_envelope_normalizes_like_its_detail(corpus: Path, normalizer: Normalizer) -> None:
    """An `AWS API Call via CloudTrail` envelope gives the same events as the bare record."""
    envelope = find_record(corpus / ENVELOPES, "c4fa3db1-2303-40e4-bde0-3b7246bdbf0b")
    from_envelope = normalizer.normalize(envelope)
    from_record = normalizer.normalize(envelope["detail"])
    assert from_envelope.outcome is Outcome.CHANGE
    assert from_envelope.events == from_record.events
    assert from_envelope.events[0]["data"]["asset"]["type"] == "AWS::S3::Bucket"


def test_instance_state_change_is_a_provider_update(corpus: Path, normalizer: Normalizer) -> None:
    """An EC2 state-change notification updates the instance, attributed to AWS itself."""
    envelope = find_record(corpus / ENVELOPES, "07a51e4f-5d35-4010-a6a3-b7646aaead30")
    (event,) = normalizer.normalize(envelope).events
    assert event["subject"] == "aws/101010101111/us-east-1/ec2/instance/i-a2d74f12"
    assert event["type"] == "io.eventstream.asset.update"
    assert event["data"]["attribution"]["method"] == "provider"
    assert event["time"] == "2015-11-23T06:58:14.000Z"


def test_other_native_events_are_counted_and_skipped(corpus: Path, normalizer: Normalizer) -> None:
    """Native EventBridge events other than instance state changes produce no events."""
    skipped = 0
    for envelope in read_jsonl(corpus / ENVELOPES):
        if envelope["detail-type"] not in (
            "AWS API Call via CloudTrail",
            "EC2 Instance State-change Notification",
        ):
            result = normalizer.normalize(envelope)
            assert result.outcome is Outcome.NATIVE_SKIPPED
            assert result.events == []
            skipped += 1
    assert skipped >= 25


def test_event_ids_are_stable_and_distinct(corpus: Path, normalizer: Normalizer) -> None:
    """The same record gives the same ids twice; different assets get different ids."""
    record = find_record(corpus / CUSTODIAN, "6da8b953-741f-4273-be3f-289b92b4d1fc")
    first = normalizer.normalize(record).events
    second = normalizer.normalize(copy.deepcopy(record)).events
    assert [e["id"] for e in first] == [e["id"] for e in second]
    assert len({e["id"] for e in first}) == len(first)
    assert first[0]["id"] == event_id(record["eventID"], first[0]["subject"])


def test_time_is_rfc3339_utc_with_millis(normalizer: Normalizer, corpus: Path) -> None:
    """Event times with offsets or fractions come out in UTC with exactly three decimals."""
    record = copy.deepcopy(_first(corpus, "CreateVpc"))
    record["eventTime"] = "2023-07-10T13:45:02.123456+02:00"
    (event,) = normalizer.normalize(record).events
    assert event["time"] == "2023-07-10T11:45:02.123Z"


@pytest.mark.parametrize(
    ("mutation", "reason"),
    [
        ({"eventTime": "yesterday"}, "unreadable event time"),
        ({"eventID": ["a", "b"]}, "eventID"),
        ({"userIdentity": "root"}, "userIdentity"),
        ({"requestParameters": [1, 2]}, "requestParameters"),
    ],
)
def test_malformed_records_raise_with_reason(
    corpus: Path, normalizer: Normalizer, mutation: dict[str, Any], reason: str
) -> None:
    """A broken mutating record raises `MalformedRecordError` naming what is wrong."""
    record = {**_first(corpus, "CreateVpc"), **mutation}
    with pytest.raises(MalformedRecordError, match=reason):
        normalizer.normalize(record)


def test_non_object_is_malformed(normalizer: Normalizer) -> None:
    """A JSON value that is not an object is malformed."""
    with pytest.raises(MalformedRecordError, match="expected a JSON object"):
        normalizer.normalize([1, 2, 3])


def test_unknown_mutating_call_is_unmapped_not_dropped(normalizer: Normalizer) -> None:
    """A mutating call no table knows and with no usable ARN is reported as unmapped."""
    result = normalizer.normalize(
        {
            "eventID": "x-1",
            "eventTime": "2023-07-10T11:00:00Z",
            "eventSource": "made.amazonaws.com",
            "eventName": "FrobnicateWidget",
            "awsRegion": "us-east-1",
            "readOnly": False,
        }
    )
    assert result.outcome is Outcome.UNMAPPED
    assert result.events == []
    assert result.reason
