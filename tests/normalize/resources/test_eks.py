"""EKS: clusters by name or ARN, and node groups as `<cluster>/<name>` by names or ARN."""

from __future__ import annotations

import pytest

from eventstream.normalize.normalizer import Normalizer
from tests.normalize.resources.corpus_calls import only
from tests.normalize.resources.project_records import Family

RECORDS = Family("eks", template="UpdateNodegroupConfig")
PREFIX = "arn:aws:eks:us-east-1:111122223333"


def test_nodegroup_by_arn_and_by_names_share_a_subject(normalizer: Normalizer) -> None:
    """`CreateNodegroup` (response ARN) and `UpdateNodegroupConfig` (names) agree."""
    created = only(normalizer, RECORDS.record("CreateNodegroup"))
    updated = only(normalizer, RECORDS.record("UpdateNodegroupConfig"))
    assert created["subject"] == updated["subject"]
    assert created["data"]["asset"]["provider_id"] == "platform/general"
    assert updated["data"]["change"]["action"] == "update"


@pytest.mark.parametrize("cluster_key", ["name", "clusterName"])
def test_nodegroup_deleted_with_either_cluster_key(
    normalizer: Normalizer, cluster_key: str
) -> None:
    """The cluster may be recorded as `name` or `clusterName`: the node group is the same."""
    created = only(normalizer, RECORDS.record("CreateNodegroup"))
    record = RECORDS.call("DeleteNodegroup", {cluster_key: "platform", "nodegroupName": "general"})
    deleted = only(normalizer, record)
    assert deleted["subject"] == created["subject"]
    assert deleted["data"]["change"]["action"] == "delete"


def test_cluster_by_name_and_by_arn_share_a_subject(normalizer: Normalizer) -> None:
    """`UpdateClusterConfig` by name and `TagResource` by ARN touch the created cluster."""
    created = only(normalizer, RECORDS.record("CreateCluster"))
    record = RECORDS.call("UpdateClusterConfig", {"name": "platform"})
    by_name = only(normalizer, record)
    record.update(
        eventName="TagResource",
        requestParameters={"resourceArn": f"{PREFIX}:cluster/platform", "tags": {}},
    )
    by_arn = only(normalizer, record)
    assert created["subject"] == by_name["subject"] == by_arn["subject"]
    assert by_arn["data"]["asset"]["type"] == "AWS::EKS::Cluster"


def test_access_entries_update_the_cluster(normalizer: Normalizer) -> None:
    """Granting a principal access (`CreateAccessEntry`) is an update of the cluster."""
    cluster = only(normalizer, RECORDS.record("CreateCluster"))
    record = RECORDS.call(
        "CreateAccessEntry",
        {"name": "platform", "principalArn": "arn:aws:iam::111122223333:role/x"},
    )
    event = only(normalizer, record)
    assert (event["subject"], event["data"]["change"]["action"]) == (cluster["subject"], "update")
