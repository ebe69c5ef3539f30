"""DynamoDB: a table by name, by ARN or by the ARN of one of its parts is one asset; items are
data."""

from __future__ import annotations

from typing import Any

import pytest

from eventstream.normalize.classify import Outcome
from eventstream.normalize.normalizer import Normalizer
from tests.normalize.resources.corpus_calls import only
from tests.normalize.resources.project_records import Family

RECORDS = Family("dynamodb", template="UpdateContinuousBackups")
TABLE_ARN = "arn:aws:dynamodb:us-east-1:111122223333:table/orders"


def test_create_by_name_and_delete_by_arn_share_a_subject(normalizer: Normalizer) -> None:
    """`CreateTable` and `DeleteTable` naming the table by ARN touch the same asset."""
    created = only(normalizer, RECORDS.record("CreateTable"))
    deleted = only(normalizer, RECORDS.record("DeleteTable"))
    assert RECORDS.record("DeleteTable")["requestParameters"]["tableName"].startswith("arn:")
    assert created["subject"] == deleted["subject"]
    assert created["data"]["configuration"]["tableName"] == "orders"
    assert deleted["data"]["configuration"] is None


@pytest.mark.parametrize(
    ("name", "request_parameters"),
    [
        ("PutResourcePolicy", {"resourceArn": f"{TABLE_ARN}/stream/2024-03-12T09:11:20.000"}),
        ("DeleteBackup", {"backupArn": f"{TABLE_ARN}/backup/01710237080000-a1b2c3d4"}),
        ("TagResource", {"resourceArn": TABLE_ARN, "tags": []}),
        ("UpdateTimeToLive", {"tableName": "orders"}),
    ],
)
def test_calls_on_parts_of_a_table_update_the_table(
    normalizer: Normalizer, name: str, request_parameters: dict[str, Any]
) -> None:
    """Streams, backups, tags and TTL are settings of the table: each call updates it."""
    table = only(normalizer, RECORDS.record("CreateTable"))
    event = only(normalizer, RECORDS.call(name, request_parameters))
    assert event["subject"] == table["subject"]
    assert event["data"]["change"]["action"] == "update"


def test_restore_creates_the_target_table(normalizer: Normalizer) -> None:
    """`RestoreTableFromBackup` creates the table it names as target."""
    record = RECORDS.call(
        "RestoreTableFromBackup",
        {"targetTableName": "orders-restored", "backupArn": f"{TABLE_ARN}/backup/0171-a"},
    )
    event = only(normalizer, record)
    assert event["data"]["change"]["action"] == "create"
    assert event["subject"].endswith("/dynamodb/table/orders-restored")


@pytest.mark.parametrize(
    "name", ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"]
)
def test_item_calls_change_no_asset(normalizer: Normalizer, name: str) -> None:
    """Item writes are data: non-asset, no event."""
    result = normalizer.normalize(RECORDS.call(name, {"tableName": "orders"}))
    assert result.outcome is Outcome.NON_ASSET
    assert list(result.events) == []
