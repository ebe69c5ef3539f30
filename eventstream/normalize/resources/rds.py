"""RDS: DB instances and clusters, their snapshots, subnet groups and parameter groups.

RDS identifiers are case-insensitive and stored in lower case, so ids are lower-cased: an event
naming `MyDB` and one naming `mydb` (or `arn:aws:rds:r:a:db:mydb`) touch the same asset.

Deleting an instance or a cluster without `skipFinalSnapshot` also creates its final snapshot.
Sharing a snapshot (`ModifyDBSnapshotAttribute`) is an update of the snapshot. Associations come
from the request and, where the response describes the instance, from the response as well.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.context import Call, Touch
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.ec2 import SECURITY_GROUP, SUBNET, VPC
from eventstream.normalize.rules import Assoc, Family, Handler, Rule, Target
from eventstream.normalize.targets import apply_rule


def _lower(value: str) -> str:
    return value.lower()


def _rds(cfn: str, slug: str, arn_resource: str) -> Kind:
    return Kind(
        type=f"AWS::RDS::{cfn}",
        service="rds",
        slug=slug,
        arn_resource=arn_resource,
        from_arn=_lower,
        canonical=_lower,
        arn_template=f"arn:aws:rds:{{region}}:{{account}}:{arn_resource}:{{id}}",
    )


DB_INSTANCE = _rds("DBInstance", "db-instance", "db")
DB_CLUSTER = _rds("DBCluster", "db-cluster", "cluster")
DB_SNAPSHOT = _rds("DBSnapshot", "db-snapshot", "snapshot")
DB_CLUSTER_SNAPSHOT = _rds("DBClusterSnapshot", "db-cluster-snapshot", "cluster-snapshot")
DB_SUBNET_GROUP = _rds("DBSubnetGroup", "db-subnet-group", "subgrp")
DB_PARAMETER_GROUP = _rds("DBParameterGroup", "db-parameter-group", "pg")
DB_CLUSTER_PARAMETER_GROUP = _rds(
    "DBClusterParameterGroup", "db-cluster-parameter-group", "cluster-pg"
)
OPTION_GROUP = _rds("OptionGroup", "option-group", "og")

_INSTANCE = "request.dBInstanceIdentifier"
_CLUSTER = "request.dBClusterIdentifier"
_SNAPSHOT = "request.dBSnapshotIdentifier"
_CLUSTER_SNAPSHOT = "request.dBClusterSnapshotIdentifier"
_IN_SUBNET_GROUP = "Is contained in DBSubnetGroup"
_IN_VPC = "Is contained in Vpc"
_WITH_GROUP = "Is associated with SecurityGroup"
_USES_PARAMETERS = "Uses DBParameterGroup"
_REQUESTED_ASSOC = (
    Assoc(_IN_SUBNET_GROUP, DB_SUBNET_GROUP, "request.dBSubnetGroupName"),
    Assoc(_WITH_GROUP, SECURITY_GROUP, "request.vpcSecurityGroupIds[]"),
    Assoc("Is member of DBCluster", DB_CLUSTER, "request.dBClusterIdentifier"),
    Assoc(_USES_PARAMETERS, DB_PARAMETER_GROUP, "request.dBParameterGroupName"),
)
_INSTANCE_ASSOC = (
    *_REQUESTED_ASSOC,
    # the same links as the response describes them (the request may leave them to defaults)
    Assoc(_IN_SUBNET_GROUP, DB_SUBNET_GROUP, "response.dBSubnetGroup.dBSubnetGroupName"),
    Assoc(_IN_VPC, VPC, "response.dBSubnetGroup.vpcId"),
    Assoc(_WITH_GROUP, SECURITY_GROUP, "response.vpcSecurityGroups[].vpcSecurityGroupId"),
    Assoc(
        _USES_PARAMETERS, DB_PARAMETER_GROUP, "response.dBParameterGroups[].dBParameterGroupName"
    ),
    Assoc("Uses OptionGroup", OPTION_GROUP, "response.optionGroupMemberships[].optionGroupName"),
    Assoc("Is encrypted with Key", None, "response.kmsKeyId"),
)
_CLUSTER_ASSOC = (
    Assoc(_IN_SUBNET_GROUP, DB_SUBNET_GROUP, "request.dBSubnetGroupName"),
    Assoc(_WITH_GROUP, SECURITY_GROUP, "request.vpcSecurityGroupIds[]"),
    Assoc(_WITH_GROUP, SECURITY_GROUP, "response.vpcSecurityGroups[].vpcSecurityGroupId"),
    Assoc("Is encrypted with Key", None, "response.kmsKeyId"),
)
_FROM_SNAPSHOT = (Assoc("Is restored from DBSnapshot", DB_SNAPSHOT, _SNAPSHOT), *_INSTANCE_ASSOC)


def _same(kind: Kind, path: str, *, action: Action | None = None) -> Target:
    return Target(kind, path, action=action)


def _delete_with_final_snapshot(kind: Kind, path: str, snapshot: Kind, relation: str) -> Handler:
    """The deletion, and the final snapshot it creates unless `skipFinalSnapshot` is true."""
    deleted = Target(kind, path)
    final = Target(
        snapshot,
        "request.finalDBSnapshotIdentifier",
        action=Action.CREATE,
        assoc=(Assoc(relation, kind, path),),
    )

    def rule(call: Call) -> list[Touch]:
        touches = apply_rule(deleted, call)
        if touches and call.roots["request"].get("skipFinalSnapshot") is not True:
            touches.extend(apply_rule(final, call))
        return touches

    return rule


_RULES: dict[str, Rule] = {
    # instances
    "CreateDBInstance": Target(
        DB_INSTANCE,
        ("response.dBInstanceIdentifier", _INSTANCE),
        config="response",
        assoc=_INSTANCE_ASSOC,
    ),
    "CreateDBInstanceReadReplica": Target(
        DB_INSTANCE,
        ("response.dBInstanceIdentifier", _INSTANCE),
        config="response",
        assoc=(Assoc("Replicates DBInstance", DB_INSTANCE, "request.sourceDBInstanceIdentifier"),),
    ),
    "RestoreDBInstanceFromDBSnapshot": Target(
        DB_INSTANCE,
        ("response.dBInstanceIdentifier", _INSTANCE),
        action=Action.CREATE,
        config="response",
        assoc=_FROM_SNAPSHOT,
    ),
    "RestoreDBInstanceFromS3": Target(DB_INSTANCE, _INSTANCE, config="response"),
    "RestoreDBInstanceToPointInTime": Target(
        DB_INSTANCE, "request.targetDBInstanceIdentifier", config="response"
    ),
    "DeleteDBInstance": _delete_with_final_snapshot(
        DB_INSTANCE, _INSTANCE, DB_SNAPSHOT, "Is snapshot of DBInstance"
    ),
    "ModifyDBInstance": Target(DB_INSTANCE, _INSTANCE, assoc=_REQUESTED_ASSOC),
    "RebootDBInstance": _same(DB_INSTANCE, _INSTANCE),
    "StartDBInstance": _same(DB_INSTANCE, _INSTANCE),
    "StopDBInstance": _same(DB_INSTANCE, _INSTANCE),
    "PromoteReadReplica": _same(DB_INSTANCE, _INSTANCE),
    # clusters
    "CreateDBCluster": Target(
        DB_CLUSTER,
        ("response.dBClusterIdentifier", _CLUSTER),
        config="response",
        assoc=_CLUSTER_ASSOC,
    ),
    "RestoreDBClusterFromSnapshot": Target(DB_CLUSTER, _CLUSTER, config="response"),
    "RestoreDBClusterToPointInTime": Target(DB_CLUSTER, _CLUSTER, config="response"),
    "DeleteDBCluster": _delete_with_final_snapshot(
        DB_CLUSTER, _CLUSTER, DB_CLUSTER_SNAPSHOT, "Is snapshot of DBCluster"
    ),
    "ModifyDBCluster": _same(DB_CLUSTER, _CLUSTER),
    "StartDBCluster": _same(DB_CLUSTER, _CLUSTER),
    "StopDBCluster": _same(DB_CLUSTER, _CLUSTER),
    "FailoverDBCluster": _same(DB_CLUSTER, _CLUSTER),
    "RebootDBCluster": _same(DB_CLUSTER, _CLUSTER),
    # snapshots
    "CreateDBSnapshot": Target(
        DB_SNAPSHOT,
        ("response.dBSnapshotIdentifier", _SNAPSHOT),
        config="response",
        assoc=(Assoc("Is snapshot of DBInstance", DB_INSTANCE, _INSTANCE),),
    ),
    "CopyDBSnapshot": Target(
        DB_SNAPSHOT,
        "request.targetDBSnapshotIdentifier",
        config="response",
        assoc=(
            Assoc("Is copied from DBSnapshot", DB_SNAPSHOT, "request.sourceDBSnapshotIdentifier"),
        ),
    ),
    "DeleteDBSnapshot": _same(DB_SNAPSHOT, _SNAPSHOT),
    "ModifyDBSnapshot": _same(DB_SNAPSHOT, _SNAPSHOT),
    "ModifyDBSnapshotAttribute": _same(DB_SNAPSHOT, _SNAPSHOT),
    "CreateDBClusterSnapshot": Target(
        DB_CLUSTER_SNAPSHOT,
        ("response.dBClusterSnapshotIdentifier", _CLUSTER_SNAPSHOT),
        config="response",
        assoc=(Assoc("Is snapshot of DBCluster", DB_CLUSTER, _CLUSTER),),
    ),
    "CopyDBClusterSnapshot": Target(
        DB_CLUSTER_SNAPSHOT, "request.targetDBClusterSnapshotIdentifier", config="response"
    ),
    "DeleteDBClusterSnapshot": _same(DB_CLUSTER_SNAPSHOT, _CLUSTER_SNAPSHOT),
    "ModifyDBClusterSnapshotAttribute": _same(DB_CLUSTER_SNAPSHOT, _CLUSTER_SNAPSHOT),
    # groups
    "CreateDBSubnetGroup": Target(
        DB_SUBNET_GROUP,
        "request.dBSubnetGroupName",
        config="response",
        assoc=(Assoc("Contains Subnet", SUBNET, "request.subnetIds[]"),),
    ),
    "ModifyDBSubnetGroup": Target(
        DB_SUBNET_GROUP,
        "request.dBSubnetGroupName",
        assoc=(Assoc("Contains Subnet", SUBNET, "request.subnetIds[]"),),
    ),
    "DeleteDBSubnetGroup": _same(DB_SUBNET_GROUP, "request.dBSubnetGroupName"),
    "CreateDBParameterGroup": _same(DB_PARAMETER_GROUP, "request.dBParameterGroupName"),
    "ModifyDBParameterGroup": _same(DB_PARAMETER_GROUP, "request.dBParameterGroupName"),
    "ResetDBParameterGroup": _same(DB_PARAMETER_GROUP, "request.dBParameterGroupName"),
    "DeleteDBParameterGroup": _same(DB_PARAMETER_GROUP, "request.dBParameterGroupName"),
    "CreateDBClusterParameterGroup": _same(
        DB_CLUSTER_PARAMETER_GROUP, "request.dBClusterParameterGroupName"
    ),
    "ModifyDBClusterParameterGroup": _same(
        DB_CLUSTER_PARAMETER_GROUP, "request.dBClusterParameterGroupName"
    ),
    "DeleteDBClusterParameterGroup": _same(
        DB_CLUSTER_PARAMETER_GROUP, "request.dBClusterParameterGroupName"
    ),
    "CreateOptionGroup": _same(OPTION_GROUP, "request.optionGroupName"),
    "ModifyOptionGroup": _same(OPTION_GROUP, "request.optionGroupName"),
    "DeleteOptionGroup": _same(OPTION_GROUP, "request.optionGroupName"),
    # tags on any RDS resource, named by ARN
    "AddTagsToResource": Target(None, "request.resourceName", action=Action.UPDATE),
    "RemoveTagsFromResource": Target(None, "request.resourceName", action=Action.UPDATE),
}

FAMILY = Family(
    name="rds",
    sources=("rds.amazonaws.com",),
    kinds=(
        DB_INSTANCE,
        DB_CLUSTER,
        DB_SNAPSHOT,
        DB_CLUSTER_SNAPSHOT,
        DB_SUBNET_GROUP,
        DB_PARAMETER_GROUP,
        DB_CLUSTER_PARAMETER_GROUP,
        OPTION_GROUP,
    ),
    rules=_RULES,
)
