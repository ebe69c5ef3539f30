"""`is_plain`: the check that lets `normalize` read a record without building the model."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstream.models.cloudtrail import (
    PLAIN_OPTIONAL_OBJECT,
    PLAIN_OPTIONAL_STR,
    PLAIN_OTHER,
    PLAIN_REQUIRED,
    CloudTrailRecord,
    is_plain,
)
from tests.conftest import read_jsonl

_DEFAULTS = {"identity_fields": {}, "aws_region": ""}
_BASE = {
    "eventID": "e-1",
    "eventTime": "2023-07-10T11:45:02Z",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "RunInstances",
}
_FIELDS = PLAIN_REQUIRED + PLAIN_OPTIONAL_STR + PLAIN_OPTIONAL_OBJECT + PLAIN_OTHER


def _model_holds_raw(raw: dict[str, Any]) -> None:
    """What `is_plain` promises: validation succeeds and every field is the raw value."""
    record = CloudTrailRecord.model_validate(raw)
    for alias, name in _FIELDS:
        value = raw.get(alias)
        expected = _DEFAULTS.get(name) if value is None else value
        assert getattr(record, name) == expected, alias


def test_the_lists_name_every_field_once() -> None:
    fields = {name: field.alias for name, field in CloudTrailRecord.model_fields.items()}
    assert sorted((alias, name) for alias, name in _FIELDS) == sorted(
        (alias, name) for name, alias in fields.items()
    )


def test_corpus_records_are_plain(corpus: Path) -> None:
    """Real records take the fast path, and what it reads is what the model holds."""
    for path in ("cloudtrail/invictus.jsonl", "cloudtrail/stratus.jsonl"):
        for raw in read_jsonl(corpus / path):
            if "eventID" in raw:
                assert is_plain(raw)
                _model_holds_raw(raw)


@pytest.mark.parametrize(
    ("change", "plain"),
    [
        ({}, True),
        ({"userIdentity": None, "requestParameters": None, "awsRegion": "x"}, True),
        ({"sessionCredentialFromConsole": True}, True),
        ({"sessionCredentialFromConsole": "true"}, True),
        ({"sessionCredentialFromConsole": 1}, False),  # coerced by validation
        ({"eventID": ""}, False),
        ({"eventID": "é"}, False),  # valid, but left to validation (non-ASCII)
        ({"eventID": "x\ud800"}, False),  # a lone surrogate fails validation
        ({"eventName": b"RunInstances"}, False),  # bytes are coerced by validation
        ({"userAgent": 5}, False),
        ({"awsRegion": None}, False),
        ({"resources": {}}, False),
        ({"requestParameters": []}, False),
        ({"user_agent": "by its Python name"}, False),
        ({"event_type": None}, False),
        ({"aws_region": "r"}, False),
    ],
)
def test_what_is_plain(change: dict[str, Any], plain: bool) -> None:
    raw = {**_BASE, **change}
    assert is_plain(raw) is plain
    if plain:
        _model_holds_raw(raw)


_values: st.SearchStrategy[Any] = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.just({}) | st.just([])
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.dictionaries(
        st.sampled_from([alias for alias, _ in _FIELDS] + [name for _, name in _FIELDS]), _values
    ),
    drop=st.sets(st.sampled_from([alias for alias, _ in PLAIN_REQUIRED])),
)
def test_plain_implies_valid_and_unchanged(changes: dict[str, Any], drop: set[str]) -> None:
    raw = copy.deepcopy(_BASE)
    raw.update(changes)
    for alias in drop:
        raw.pop(alias, None)
    if is_plain(raw):  # else validation decides, as it always did
        _model_holds_raw(raw)
