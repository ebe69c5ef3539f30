"""Lenient with real-world records, strict where it matters.

Records without `eventID` (older examples in AWS's documentation, some exporters) get a
deterministic id from their content; eventVersion 1.0x layouts normalize; a record without
`eventSource` resolves where its ARNs name the service. `eventTime` is a real RFC 3339 time
with ASCII digits, or the record is malformed with that reason. The per-record outputs are the
golden cases `golden/legacy/`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstream import codec
from eventstream.errors import MalformedRecordError
from eventstream.normalize.naming import rfc3339_millis
from eventstream.normalize.normalizer import Normalizer, content_event_id, event_id
from eventstream.normalize.resources.catalog import default_registry
from tests.conftest import read_jsonl
from tests.normalize.test_property import json_values

RECORDS = Path(__file__).parent / "records"


def _legacy() -> list[dict[str, Any]]:
    return list(read_jsonl(RECORDS / "legacy.jsonl"))


def test_record_without_event_id_gets_a_content_id_stable_across_runs() -> None:
    """The same record, normalized by two fresh normalizers (two runs), gives the same event
    ids; the id is the content id's, as `event_id` builds every id."""
    record = _legacy()[0]
    assert "eventID" not in record
    first = Normalizer(default_registry()).normalize(record).events
    second = Normalizer(default_registry()).normalize(copy.deepcopy(record)).events
    assert first
    assert [e["id"] for e in first] == [e["id"] for e in second]
    assert first[0]["id"] == event_id(content_event_id(record), first[0]["subject"])
    reordered = dict(reversed(list(record.items())))  # key order is not content
    assert content_event_id(reordered) == content_event_id(record)


def test_different_content_gives_different_ids() -> None:
    """Two records that differ in any value get different ids, for the same asset too."""
    record = _legacy()[0]
    later = {**record, "eventTime": "2014-03-06T21:22:55Z"}
    other_ip = {**record, "sourceIPAddress": "203.0.113.11"}
    normalizer = Normalizer(default_registry())
    ids = {normalizer.normalize(r).events[0]["id"] for r in (record, later, other_ip)}
    assert len(ids) == 3


@settings(max_examples=200, deadline=None)
@given(a=json_values, b=json_values)
def test_content_ids_differ_exactly_when_content_does(a: Any, b: Any) -> None:
    """Equal canonical JSON, equal ids; any difference in it, different ids."""
    first = {"eventName": "StartInstances", "requestParameters": {"x": a}}
    second = {"eventName": "StartInstances", "requestParameters": {"x": b}}
    same_content = codec.dumps_sorted(first) == codec.dumps_sorted(second)
    assert (content_event_id(first) == content_event_id(second)) == same_content
    assert content_event_id(first) == content_event_id(copy.deepcopy(first))


@pytest.mark.parametrize("missing", [None, ""])
def test_null_or_empty_event_id_is_as_if_absent(normalizer: Normalizer, missing: Any) -> None:
    record = _legacy()[0]
    (absent,) = normalizer.normalize(record).events
    (given_,) = normalizer.normalize({**record, "eventID": missing}).events
    assert given_["id"] != absent["id"]  # the content differs (the key is there)
    assert given_["subject"] == absent["subject"]


def test_event_version_1_0x_layouts_normalize(normalizer: Normalizer) -> None:
    """Records of eventVersion 1.0, 1.01, 1.03 and one with no eventSource: each a change,
    with the account from `recipientAccountId`, the caller's `accountId` or its ARN."""
    results = [normalizer.normalize(r) for r in _legacy()]
    assert [r.outcome.value for r in results] == ["change"] * 4
    accounts = {e["data"]["asset"]["account"] for r in results for e in r.events}
    assert accounts == {"111122223333"}
    v103 = results[2]
    assert [e["subject"] for e in v103.events] == [
        "aws/111122223333/eu-west-1/cloudwatch/alarm/disk-full",
        "aws/111122223333/eu-west-1/cloudwatch/alarm/cpu-high",
    ]


def test_no_event_source_resolves_by_the_service_its_arn_names(normalizer: Normalizer) -> None:
    """No `eventSource`: the ARN's service and type name the event source
    (`monitoring.amazonaws.com` for a CloudWatch alarm), which the event reports."""
    record = _legacy()[3]
    assert "eventSource" not in record
    (event,) = normalizer.normalize(record).events
    assert event["data"]["change"]["service"] == "monitoring.amazonaws.com"
    assert event["data"]["asset"]["type"] == "AWS::CloudWatch::Alarm"
    assert event["data"]["raw"] == record  # the raw record is left as it came


def test_no_event_source_and_no_arn_is_malformed(normalizer: Normalizer) -> None:
    record = {k: v for k, v in _legacy()[3].items() if k != "requestParameters"}
    with pytest.raises(MalformedRecordError, match="no eventSource"):
        normalizer.normalize(record)


@pytest.mark.parametrize(
    "value",
    [
        "2023-13-45T11:42:36Z",  # no month 13
        "2023-02-29T11:42:36Z",  # not a leap year
        "0000-07-10T11:42:36Z",  # no year 0000
        "\u0662\u0660\u0662\u0663-07-10T11:42:36Z",  # Arabic-Indic digits
        "2023-07-10T11:42:36",  # no offset
        "2023-07-10 11:42:36Z",  # no T
        "2023-07-10",
        "2023-07-10T25:00:00Z",
        "2023-07-10T11:42:36+24:00",
        "0001-01-01T00:30:00+01:00",  # before year 1 in UTC
        "yesterday",
    ],
)
def test_invalid_event_time_is_malformed_with_its_reason(
    normalizer: Normalizer, value: str
) -> None:
    record = {**_legacy()[1], "eventTime": value}
    with pytest.raises(MalformedRecordError, match="unreadable event time"):
        normalizer.normalize(record)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-07-10T11:42:36Z", "2023-07-10T11:42:36.000Z"),
        ("2023-07-10T11:42:36z", "2023-07-10T11:42:36.000Z"),  # RFC 3339 allows lower case
        ("2023-07-10t11:42:36.5Z", "2023-07-10T11:42:36.500Z"),
        ("2023-07-10T13:42:36.123456+02:00", "2023-07-10T11:42:36.123Z"),
        ("2023-07-10T06:12:36-05:30", "2023-07-10T11:42:36.000Z"),
        ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999Z"),  # a leap second
    ],
)
def test_valid_event_times(normalizer: Normalizer, value: str, expected: str) -> None:
    (event,) = normalizer.normalize({**_legacy()[1], "eventTime": value}).events
    assert event["time"] == expected


def test_invalid_time_is_malformed_even_when_no_rule_matches(normalizer: Normalizer) -> None:
    """The time is checked before any rule: an unmapped call with a bad time is malformed."""
    record = {
        "eventID": "x",
        "eventTime": "2023-13-45T11:42:36Z",
        "eventSource": "made.amazonaws.com",
        "eventName": "FrobnicateWidget",
    }
    with pytest.raises(MalformedRecordError, match="unreadable event time"):
        normalizer.normalize(record)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_rfc3339_parser_raises_only_value_error(value: str) -> None:
    try:
        parsed = rfc3339_millis(value)
    except ValueError:
        return
    assert rfc3339_millis(parsed) == parsed  # its output reads back as itself
    assert parsed.isascii()
