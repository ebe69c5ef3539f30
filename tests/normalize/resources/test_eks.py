"""EKS: clusters by name or ARN, and node groups as `<cluster>/<name>` by names or ARN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventstream.normalize.normalizer import Normalizer
from tests.conftest import read_jsonl

RECORDS = Path(__file__).resolve().parent.parent / "records" / "eks.jsonl"
PREFIX = "arn:aws:eks:us-east-1:111122223333"


def _record(name: str) -> dict[str, Any]:
    for record in read_jsonl(RECORDS):
        if record["eventName"] == name:
            return record
    raise LookupError(name)


def _only(normalizer: Normalizer, record: dict[str, Any]) -> dict[str, Any]:
    events = normalizer.normalize(record).events
    assert len(events) == 1
    return events[0]


def test_nodegroup_by_arn_and_by_names_share_a_subject(normalizer: Normalizer) -> None:
    """`CreateNodegroup` (response ARN) and `UpdateNodegroupConfig` (names) agree."""
    created = _only(normalizer, _record("CreateNodegroup"))
    updated = _only(normalizer, _record("UpdateNodegroupConfig"))
    assert created["subject"] == updated["subject"]
    assert created["data"]["asset"]["provider_id"] == "platform/general"
    assert updated["data"]["change"]["action"] == "update"


@pytest.mark.parametrize("cluster_key", ["name", "clusterName"])
def test_nodegroup_deleted_with_either_cluster_key(
    normalizer: Normalizer, cluster_key: str
) -> None:
    """The cluster may be recorded as `name` or `clusterName`: the node group is the same."""
    created = _only(normalizer, _record("CreateNodegroup"))
    record = _record("UpdateNodegroupConfig")
    record.update(
        eventName="DeleteNodegroup",
        requestParameters={cluster_key: "platform", "nodegroupName": "general"},
        responseElements=None,
    )
    deleted = _only(normalizer, record)
    assert deleted["subject"] == created["subject"]
    assert deleted["data"]["change"]["action"] == "delete"


def test_cluster_by_name_and_by_arn_share_a_subject(normalizer: Normalizer) -> None:
    """`UpdateClusterConfig` by name and `TagResource` by ARN touch the created cluster."""
    created = _only(normalizer, _record("CreateCluster"))
    record = _record("UpdateNodegroupConfig")
    record.update(
        eventName="UpdateClusterConfig",
        requestParameters={"name": "platform"},
        responseElements=None,
    )
    by_name = _only(normalizer, record)
    record.update(
        eventName="TagResource",
        requestParameters={"resourceArn": f"{PREFIX}:cluster/platform", "tags": {}},
    )
    by_arn = _only(normalizer, record)
    assert created["subject"] == by_name["subject"] == by_arn["subject"]
    assert by_arn["data"]["asset"]["type"] == "AWS::EKS::Cluster"


def test_access_entries_update_the_cluster(normalizer: Normalizer) -> None:
    """Granting a principal access (`CreateAccessEntry`) is an update of the cluster."""
    cluster = _only(normalizer, _record("CreateCluster"))
    record = _record("UpdateNodegroupConfig")
    record.update(
        eventName="CreateAccessEntry",
        requestParameters={"name": "platform", "principalArn": "arn:aws:iam::111122223333:role/x"},
        responseElements=None,
    )
    event = _only(normalizer, record)
    assert (event["subject"], event["data"]["change"]["action"]) == (cluster["subject"], "update")
