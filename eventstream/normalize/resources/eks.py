"""EKS: clusters, managed node groups, add-ons and Fargate profiles.

A cluster's id is its name (`cluster/<name>` in its ARN). Its parts are named inside it:
`<cluster>/<name>` for node groups, add-ons and Fargate profiles, whose ARNs read
`nodegroup/<cluster>/<name>/<uuid>` (likewise `addon/`, `fargateprofile/`). Requests name the
cluster in the path parameter `name` (recorded as `name`; `clusterName` in older records) and the
part by its own name. Access entries, access policies, identity provider and encryption
configurations are settings of the cluster.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.ec2 import SECURITY_GROUP, SUBNET, VPC
from eventstream.normalize.rules import Assoc, Family, Handler, Rule, Target
from eventstream.normalize.targets import nested


def _cluster_and_name(rest: str) -> str:
    """`<cluster>/<name>/<uuid>` → `<cluster>/<name>`."""
    return "/".join(rest.split("/")[:2])


def _part(cfn: str, slug: str, arn_resource: str) -> Kind:
    return Kind(
        type=f"AWS::EKS::{cfn}",
        service="eks",
        slug=slug,
        arn_resource=arn_resource,
        from_arn=_cluster_and_name,
    )


CLUSTER = Kind(
    type="AWS::EKS::Cluster",
    service="eks",
    slug="cluster",
    arn_resource="cluster",
    arn_template="arn:aws:eks:{region}:{account}:cluster/{id}",
)
NODEGROUP = _part("Nodegroup", "nodegroup", "nodegroup")
ADDON = _part("Addon", "addon", "addon")
FARGATE_PROFILE = _part("FargateProfile", "fargate-profile", "fargateprofile")

_NAME = ("request.name", "request.clusterName")
_IN_CLUSTER = "Is contained in Cluster"
_VPC_CONFIG = "request.resourcesVpcConfig"


def _cluster(*, action: Action | None = None) -> Target:
    return Target(CLUSTER, _NAME, action=action)


def _part_rule(
    kind: Kind, noun: str, *, action: Action | None = None, described: bool = False
) -> Handler:
    """A part of a cluster, named `<noun>Name` (or by ARN in a response describing it)."""
    response = f"response.{noun}"
    return nested(
        kind,
        CLUSTER,
        _NAME,
        (f"{response}.{noun}Arn", f"request.{noun}Name"),
        relation=_IN_CLUSTER,
        action=action,
        config=response if described else None,
        assoc=(
            Assoc("Is contained in Subnet", SUBNET, "request.subnets[]"),
            Assoc(
                "Is associated with SecurityGroup",
                SECURITY_GROUP,
                "request.remoteAccess.sourceSecurityGroups[]",
            ),
            # node groups' node role, Fargate profiles' pod execution role
            Assoc("Assumes Role", None, "request.nodeRole"),
            Assoc("Assumes Role", None, "request.podExecutionRoleArn"),
        ),
    )


_RULES: dict[str, Rule] = {
    "CreateCluster": Target(
        CLUSTER,
        ("response.cluster.arn", *_NAME),
        config="response.cluster",
        assoc=(
            Assoc("Is contained in Subnet", SUBNET, f"{_VPC_CONFIG}.subnetIds[]"),
            Assoc(
                "Is associated with SecurityGroup",
                SECURITY_GROUP,
                f"{_VPC_CONFIG}.securityGroupIds[]",
            ),
            Assoc("Is contained in Vpc", VPC, "response.cluster.resourcesVpcConfig.vpcId"),
            Assoc("Assumes Role", None, "request.roleArn"),
            Assoc("Is encrypted with Key", None, "request.encryptionConfig[].provider.keyArn"),
        ),
    ),
    "DeleteCluster": _cluster(),
    "UpdateClusterConfig": _cluster(),
    "UpdateClusterVersion": _cluster(),
    "AssociateEncryptionConfig": _cluster(),
    "AssociateIdentityProviderConfig": _cluster(),
    "DisassociateIdentityProviderConfig": _cluster(),
    "CreateAccessEntry": _cluster(action=Action.UPDATE),
    "UpdateAccessEntry": _cluster(),
    "DeleteAccessEntry": _cluster(action=Action.UPDATE),
    "AssociateAccessPolicy": _cluster(),
    "DisassociateAccessPolicy": _cluster(),
    "CreatePodIdentityAssociation": _cluster(action=Action.UPDATE),
    "UpdatePodIdentityAssociation": _cluster(),
    "DeletePodIdentityAssociation": _cluster(action=Action.UPDATE),
    "CreateNodegroup": _part_rule(NODEGROUP, "nodegroup", described=True),
    "DeleteNodegroup": _part_rule(NODEGROUP, "nodegroup"),
    "UpdateNodegroupConfig": _part_rule(NODEGROUP, "nodegroup"),
    "UpdateNodegroupVersion": _part_rule(NODEGROUP, "nodegroup"),
    "CreateAddon": _part_rule(ADDON, "addon", described=True),
    "DeleteAddon": _part_rule(ADDON, "addon"),
    "UpdateAddon": _part_rule(ADDON, "addon"),
    "CreateFargateProfile": _part_rule(FARGATE_PROFILE, "fargateProfile", described=True),
    "DeleteFargateProfile": _part_rule(FARGATE_PROFILE, "fargateProfile"),
    # tags on any EKS resource, named by ARN
    "TagResource": Target(None, "request.resourceArn", action=Action.UPDATE),
    "UntagResource": Target(None, "request.resourceArn", action=Action.UPDATE),
}

FAMILY = Family(
    name="eks",
    sources=("eks.amazonaws.com",),
    kinds=(CLUSTER, NODEGROUP, ADDON, FARGATE_PROFILE),
    rules=_RULES,
)
