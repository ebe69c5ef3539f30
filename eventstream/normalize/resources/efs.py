"""EFS: file systems, mount targets and access points.

Ids are EFS's own: `fs-...` for a file system (`file-system/fs-...` in its ARN), `fsmt-...` for a
mount target (no ARN), `fsap-...` for an access point (`access-point/fsap-...`); the prefixes let
tag calls, which name either kind by id or ARN, find the kind. Policies, lifecycle, backup and
replication configurations are settings of the file system. A mount target is associated with
its file system, subnet, security groups and the network interface EFS creates for it.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.ec2 import NETWORK_INTERFACE, SECURITY_GROUP, SUBNET, VPC
from eventstream.normalize.rules import Assoc, Family, Rule, Target


def _efs(cfn: str, slug: str, arn_resource: str | None, prefix: str) -> Kind:
    template = (
        f"arn:aws:elasticfilesystem:{{region}}:{{account}}:{arn_resource}/{{id}}"
        if arn_resource
        else None
    )
    return Kind(
        type=f"AWS::EFS::{cfn}",
        service="elasticfilesystem",
        slug=slug,
        arn_resource=arn_resource,
        id_prefix=prefix,
        arn_template=template,
    )


FILE_SYSTEM = _efs("FileSystem", "file-system", "file-system", "fs-")
MOUNT_TARGET = _efs("MountTarget", "mount-target", None, "fsmt-")
ACCESS_POINT = _efs("AccessPoint", "access-point", "access-point", "fsap-")

_FS = "request.fileSystemId"
_MOUNT_TARGET = "request.mountTargetId"
_IN_FS = Assoc("Is contained in FileSystem", FILE_SYSTEM, _FS)
_GROUPS = Assoc("Is associated with SecurityGroup", SECURITY_GROUP, "request.securityGroups[]")


def _fs(path: str = _FS, *, action: Action | None = None) -> Target:
    return Target(FILE_SYSTEM, path, action=action)


_RULES: dict[str, Rule] = {
    # file systems and their settings
    "CreateFileSystem": Target(
        FILE_SYSTEM,
        "response.fileSystemId",
        config="response",
        assoc=(Assoc("Is encrypted with Key", None, "response.kmsKeyId"),),
    ),
    "UpdateFileSystem": Target(FILE_SYSTEM, _FS, config="response"),
    "UpdateFileSystemProtection": _fs(),
    "DeleteFileSystem": _fs(),
    "PutFileSystemPolicy": _fs(),
    "DeleteFileSystemPolicy": _fs(action=Action.UPDATE),
    "PutLifecycleConfiguration": _fs(),
    "PutBackupPolicy": _fs(),
    "CreateReplicationConfiguration": _fs("request.sourceFileSystemId", action=Action.UPDATE),
    "DeleteReplicationConfiguration": _fs("request.sourceFileSystemId", action=Action.UPDATE),
    # mount targets
    "CreateMountTarget": Target(
        MOUNT_TARGET,
        "response.mountTargetId",
        config="response",
        assoc=(
            _IN_FS,
            Assoc("Is contained in Subnet", SUBNET, "request.subnetId"),
            _GROUPS,
            Assoc(
                "Is attached to NetworkInterface", NETWORK_INTERFACE, "response.networkInterfaceId"
            ),
            Assoc("Is contained in Vpc", VPC, "response.vpcId"),
        ),
    ),
    "ModifyMountTargetSecurityGroups": Target(MOUNT_TARGET, _MOUNT_TARGET, assoc=(_GROUPS,)),
    "DeleteMountTarget": Target(MOUNT_TARGET, _MOUNT_TARGET),
    # access points
    "CreateAccessPoint": Target(
        ACCESS_POINT,
        ("response.accessPointId", "response.accessPointArn"),
        config="response",
        assoc=(_IN_FS,),
    ),
    "DeleteAccessPoint": Target(ACCESS_POINT, "request.accessPointId"),
    # tags: the kind comes from the id's prefix or the ARN
    "TagResource": Target(None, "request.resourceId", action=Action.UPDATE),
    "UntagResource": Target(None, "request.resourceId", action=Action.UPDATE),
    "CreateTags": _fs(action=Action.UPDATE),
    "DeleteTags": _fs(action=Action.UPDATE),
}

FAMILY = Family(
    name="efs",
    sources=("elasticfilesystem.amazonaws.com",),
    kinds=(FILE_SYSTEM, MOUNT_TARGET, ACCESS_POINT),
    rules=_RULES,
    ignore=frozenset({"PutAccountPreferences"}),
)
