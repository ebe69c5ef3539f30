"""RDS: instances, snapshots and clusters keep one name by identifier (any case) or ARN;
sharing a snapshot updates it; deleting an instance may create its final snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.normalize.naming import Kind
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources import rds
from tests.conftest import find_record
from tests.normalize.resources.corpus_calls import by_id, only

ACCOUNT, REGION = "123837392027", "us-east-1"
CREATE_INSTANCE = "fdc74c82-c299-4211-a08e-b5f125ee3b58"
CREATE_SNAPSHOT = "0516b66a-77ec-4479-a82d-0cda54d3fc5d"
SHARE_SNAPSHOT = "2d19ab1e-82e9-4302-ad10-a405b50c8d49"
DELETE_INSTANCE = "b5232796-c668-4d71-a006-d9cabb3d607d"


@pytest.mark.parametrize(
    ("kind", "forms"),
    [
        (
            rds.DB_SNAPSHOT,
            ["Exfiltration", f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:exfiltration"],
        ),
        (rds.DB_CLUSTER, ["Aurora-Main", f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:aurora-main"]),
        (rds.DB_SUBNET_GROUP, ["Private", f"arn:aws:rds:{REGION}:{ACCOUNT}:subgrp:private"]),
        (rds.DB_PARAMETER_GROUP, ["Tuned", f"arn:aws:rds:{REGION}:{ACCOUNT}:pg:tuned"]),
    ],
    ids=lambda v: v.type if isinstance(v, Kind) else "",
)
def test_every_form_of_an_identifier_names_the_same_asset(
    normalizer: Normalizer, kind: Kind, forms: list[str]
) -> None:
    """Identifier in any case and ARN resolve to one lower-case asset name of the kind's type."""
    refs = [normalizer.registry.resolve(kind, form, ACCOUNT, REGION) for form in forms]
    assert all(ref is not None and ref.type == kind.type for ref in refs)
    assert len({ref.name for ref in refs if ref is not None}) == 1


def test_snapshot_shared_by_arn_is_the_snapshot_created(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`ModifyDBSnapshotAttribute` naming the snapshot by ARN updates the created snapshot."""
    created = only(normalizer, by_id(corpus, CREATE_SNAPSHOT))
    record = by_id(corpus, SHARE_SNAPSHOT)
    record["requestParameters"]["dBSnapshotIdentifier"] = created["data"]["asset"]["arn"]
    shared = only(normalizer, record)
    assert shared["subject"] == created["subject"]
    assert shared["data"]["change"]["action"] == "update"


@pytest.mark.parametrize(
    ("file", "event_id"),
    [
        ("invictus.jsonl", SHARE_SNAPSHOT),
        ("stratus.jsonl", "fef2bf02-bbea-4d0f-a91c-e6ccfe3fba46"),
    ],
)
def test_sharing_a_snapshot_is_an_update(
    corpus: Path, normalizer: Normalizer, file: str, event_id: str
) -> None:
    """Sharing a snapshot with another account (real records) is an update of the snapshot."""
    event = only(normalizer, find_record(corpus / "cloudtrail" / file, event_id))
    assert event["data"]["asset"]["type"] == "AWS::RDS::DBSnapshot"
    assert event["data"]["change"]["action"] == "update"


def test_deleting_an_instance_creates_its_final_snapshot(
    corpus: Path, normalizer: Normalizer
) -> None:
    """With a final snapshot, `DeleteDBInstance` deletes the instance and creates the snapshot."""
    events = normalizer.normalize(by_id(corpus, DELETE_INSTANCE)).events
    assert [(e["data"]["asset"]["type"], e["data"]["change"]["action"]) for e in events] == [
        ("AWS::RDS::DBInstance", "delete"),
        ("AWS::RDS::DBSnapshot", "create"),
    ]
    assert events[1]["data"]["associations"][0]["name"] == events[0]["subject"]


def test_skipping_the_final_snapshot_creates_none(corpus: Path, normalizer: Normalizer) -> None:
    """`skipFinalSnapshot: true` means the deletion creates no snapshot, whatever else is named."""
    record = by_id(corpus, DELETE_INSTANCE)
    record["requestParameters"]["skipFinalSnapshot"] = True
    event = only(normalizer, record)
    assert event["data"]["change"]["action"] == "delete"


def test_tags_by_arn_update_the_instance(corpus: Path, normalizer: Normalizer) -> None:
    """`AddTagsToResource` with the instance ARN updates the instance `CreateDBInstance` made."""
    created = only(normalizer, by_id(corpus, CREATE_INSTANCE))
    record = by_id(corpus, SHARE_SNAPSHOT)
    record.update(
        eventName="AddTagsToResource",
        requestParameters={"resourceName": created["data"]["asset"]["arn"], "tags": []},
        responseElements=None,
    )
    event = only(normalizer, record)
    assert event["subject"] == created["subject"]
    assert event["data"]["change"]["action"] == "update"


def test_restore_from_snapshot_creates_an_instance(corpus: Path, normalizer: Normalizer) -> None:
    """`RestoreDBInstanceFromDBSnapshot` creates an instance, linked to the snapshot it used."""
    snapshot = only(normalizer, by_id(corpus, CREATE_SNAPSHOT))
    record = by_id(corpus, SHARE_SNAPSHOT)
    record.update(
        eventName="RestoreDBInstanceFromDBSnapshot",
        requestParameters={
            "dBInstanceIdentifier": "Restored",
            "dBSnapshotIdentifier": "exfiltration",
        },
        responseElements=None,
    )
    event = only(normalizer, record)
    assert event["data"]["change"]["action"] == "create"
    assert event["subject"].endswith("/rds/db-instance/restored")
    assert snapshot["subject"] in [a["name"] for a in event["data"]["associations"]]
