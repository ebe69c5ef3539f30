"""Property: `normalize` on arbitrary JSON raises nothing but `MalformedRecordError`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstream.errors import MalformedRecordError
from eventstream.normalize.normalizer import Normalizer, Result
from tests.conftest import corpus_dir, read_jsonl

_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_KEYS = [
    "eventID",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "readOnly",
    "errorCode",
    "userIdentity",
    "requestParameters",
    "responseElements",
    "resources",
    "recipientAccountId",
    "userAgent",
    "sourceIPAddress",
    "eventType",
    "detail-type",
    "detail",
    "id",
    "time",
    "source",
    "account",
    "region",
    "serviceEventDetails",
]
_NAMES = st.sampled_from(
    [
        "RunInstances",
        "CreateTags",
        "DeleteBucketPolicy",
        "CreateRole",
        "PutParameter",
        "AttachVolume",
        "CreateFunction20150331",
        "X",
    ]
)
record_like = st.dictionaries(st.sampled_from(_KEYS), json_values | _NAMES, max_size=len(_KEYS))
_SAMPLES = (
    [
        r
        for r in read_jsonl(corpus_dir() / "cloudtrail" / "invictus.jsonl")
        if r.get("readOnly") is False and not r.get("errorCode")
    ][:200]
    if (corpus_dir() / "cloudtrail" / "invictus.jsonl").is_file()
    else []
)


def _normalize(normalizer: Normalizer, value: Any) -> Result | None:
    try:
        return normalizer.normalize(value)
    except MalformedRecordError as error:
        reason = error.reason
    assert reason
    return None


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=json_values)
def test_arbitrary_json(normalizer: Normalizer, value: Any) -> None:
    """Any JSON value either normalizes or raises the documented error."""
    _normalize(normalizer, value)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=record_like)
def test_record_shaped_json(normalizer: Normalizer, value: dict[str, Any]) -> None:
    """Objects with CloudTrail keys and arbitrary values never raise anything else."""
    result = _normalize(normalizer, value)
    if result is not None:
        assert all(event["specversion"] == "1.0" for event in result.events)


@pytest.mark.skipif(not _SAMPLES, reason="corpus not present")
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    index=st.integers(0, max(len(_SAMPLES) - 1, 0)),
    path_choice=st.integers(0, 10_000),
    replacement=json_values,
)
def test_real_records_with_one_value_replaced(
    normalizer: Normalizer, index: int, path_choice: int, replacement: Any
) -> None:
    """A real mutating record with any one nested value replaced never raises anything else."""
    record = copy.deepcopy(_SAMPLES[index])
    holders: list[tuple[dict[str, Any] | list[Any], Any]] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                holders.append((node, key))
                collect(child)
        elif isinstance(node, list):
            for position, child in enumerate(node):
                holders.append((node, position))
                collect(child)

    collect(record)
    holder, key = holders[path_choice % len(holders)]
    holder[key] = replacement
    _normalize(normalizer, record)


def test_samples_exist_when_corpus_does(corpus: Path) -> None:
    """The mutation property above really runs on real records."""
    assert len(_SAMPLES) == 200


@pytest.mark.parametrize("value", [[1], {"nested": True}], ids=["list", "object"])
def test_unhashable_values_in_attribution_fields(normalizer: Normalizer, value: Any) -> None:
    """The attribution memo keys on `MFAUsed` and the like: a list or an object there is an
    odd record, not a crash."""
    record = {
        "eventVersion": "1.08",
        "eventTime": "2024-01-01T00:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser",
        "awsRegion": "us-east-1",
        "eventID": "00000000-0000-0000-0000-000000000001",
        "readOnly": False,
        "recipientAccountId": "123456789012",
        "userIdentity": {"type": "IAMUser", "accountId": "123456789012", "userName": "a"},
        "requestParameters": {"userName": "someone"},
        "additionalEventData": {"MFAUsed": value},
    }
    result = normalizer.normalize(record)
    assert [event["data"]["change"]["action"] for event in result.events] == ["create"]
    assert result.events[0]["data"]["attribution"]["mfa"] is None
