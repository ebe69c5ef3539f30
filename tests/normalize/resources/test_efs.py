"""EFS: file systems, mount targets and access points by id or ARN; a mount target is linked
to its file system, subnet and security groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventstream.normalize.normalizer import Normalizer
from tests.conftest import find_record
from tests.normalize.resources.corpus_calls import only

CREATE_MOUNT_TARGET = "ffeeb98c-2a0b-4e5d-bdf4-8e9909ca5763"
MODIFY_MOUNT_TARGET = "736df08b-c066-4f53-beb8-c1e081037162"
FS_ARN = "arn:aws:elasticfilesystem:us-east-1:644160558196:file-system/fs-017557a9f00b1bec9"


def _custodian(corpus: Path, event_id: str) -> dict[str, Any]:
    return find_record(corpus / "cloudtrail" / "custodian.jsonl", event_id)


def test_mount_target_is_linked_to_file_system_subnet_and_groups(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`CreateMountTarget` creates the mount target, associated with what the call names."""
    event = only(normalizer, _custodian(corpus, CREATE_MOUNT_TARGET))
    assert event["data"]["asset"]["type"] == "AWS::EFS::MountTarget"
    assert event["data"]["change"]["action"] == "create"
    related = {a["type"]: a["name"] for a in event["data"]["associations"]}
    assert related["AWS::EFS::FileSystem"].endswith("/file-system/fs-017557a9f00b1bec9")
    assert related["AWS::EC2::Subnet"].endswith("/ec2/subnet/subnet-efbcccb7")
    assert related["AWS::EC2::SecurityGroup"].endswith("/security-group/sg-0616b55f1f99947fd")


def test_modify_security_groups_updates_the_created_mount_target(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`ModifyMountTargetSecurityGroups` on the same id updates the mount target created."""
    created = only(normalizer, _custodian(corpus, CREATE_MOUNT_TARGET))
    record = _custodian(corpus, MODIFY_MOUNT_TARGET)
    record["requestParameters"]["mountTargetId"] = created["data"]["asset"]["provider_id"]
    event = only(normalizer, record)
    assert event["subject"] == created["subject"]
    assert event["data"]["change"]["action"] == "update"


@pytest.mark.parametrize(
    ("resource_id", "asset_type"),
    [
        ("fs-017557a9f00b1bec9", "AWS::EFS::FileSystem"),
        (FS_ARN, "AWS::EFS::FileSystem"),
        ("fsap-0123456789abcdef0", "AWS::EFS::AccessPoint"),
    ],
)
def test_tags_find_the_kind_from_id_or_arn(
    corpus: Path, normalizer: Normalizer, resource_id: str, asset_type: str
) -> None:
    """`TagResource` by id prefix or ARN updates the right kind; a file system keeps one name."""
    mount_target = only(normalizer, _custodian(corpus, CREATE_MOUNT_TARGET))
    record = _custodian(corpus, MODIFY_MOUNT_TARGET)
    record.update(
        eventName="TagResource",
        requestParameters={"resourceId": resource_id, "tags": [{"key": "a", "value": "b"}]},
    )
    event = only(normalizer, record)
    assert event["data"]["asset"]["type"] == asset_type
    assert event["data"]["change"]["action"] == "update"
    if asset_type == "AWS::EFS::FileSystem":
        file_system = mount_target["data"]["associations"][0]
        assert event["subject"] == file_system["name"]


def test_deleting_a_file_system_policy_updates_the_file_system(
    corpus: Path, normalizer: Normalizer
) -> None:
    """`DeleteFileSystemPolicy` removes a setting: an update, not a delete."""
    record = _custodian(corpus, MODIFY_MOUNT_TARGET)
    record.update(
        eventName="DeleteFileSystemPolicy",
        requestParameters={"fileSystemId": "fs-017557a9f00b1bec9"},
    )
    event = only(normalizer, record)
    assert event["data"]["asset"]["type"] == "AWS::EFS::FileSystem"
    assert event["data"]["change"]["action"] == "update"
