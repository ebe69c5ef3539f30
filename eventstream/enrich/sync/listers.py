"""Listing every resource of one type in one account and region, for the inventory sync.

A lister yields `Listed` items: the value the normalizer would resolve the asset from (an id,
a name or an ARN, resolved here through the same registry so that a synced asset has the name
its CloudTrail events give it), and, for types whose list call returns exactly what the
describe call returns (EC2's describe calls list too), the configuration itself, so that such
types cost one paginated call per region instead of one call per resource. Types without an
explicit lister can be listed through Cloud Control (`cloudcontrol_lister`), when named.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass
from typing import Any

from eventstream.enrich.live.cloudcontrol import SERVICE, list_resources
from eventstream.enrich.live.describe.base import jsonable
from eventstream.normalize.derived import load_table


@dataclass(frozen=True, slots=True)
class Listed:
    value: str  # an id, name or ARN of the resource
    configuration: dict[str, Any] | None = None  # the describe result, when the list gives it


ListCall = Callable[[Any, str, str], AsyncIterator[Listed]]
"""(client, account, region) → the resources of one type."""


@dataclass(frozen=True, slots=True)
class Lister:
    service: str  # botocore's service name, e.g. ec2
    global_: bool  # listed once per account (IAM, S3 bucket names), in region `global`
    call: ListCall

    @property
    def event_source(self) -> str:
        """The service's CloudTrail event source, for the events a sync makes (drift)."""
        if self.service == SERVICE:
            return "cloudcontrolapi.amazonaws.com"
        return f"{self.service}.amazonaws.com"


async def _pages(
    client: Any, operation: str, key: str, **params: Any
) -> AsyncIterator[dict[str, Any]]:
    paginator = client.get_paginator(operation)
    async for page in paginator.paginate(**params):
        for item in page.get(key) or []:
            yield item


def _described(operation: str, key: str, id_key: str) -> ListCall:
    """An EC2 describe call that lists: each item is the configuration its describe gives."""

    async def call(client: Any, account: str, region: str) -> AsyncIterator[Listed]:
        async for item in _pages(client, operation, key):
            yield Listed(str(item[id_key]), jsonable(dict(item)))

    return call


def _named(operation: str, key: str, id_key: str | None = None, **params: Any) -> ListCall:
    """A list call of names or ARNs (items are strings, or dicts with `id_key`)."""

    async def call(client: Any, account: str, region: str) -> AsyncIterator[Listed]:
        async for item in _pages(client, operation, key, **params):
            value = item if id_key is None else item.get(id_key)
            if isinstance(value, str) and value:
                yield Listed(value)

    return call


async def _instances(client: Any, account: str, region: str) -> AsyncIterator[Listed]:
    async for reservation in _pages(client, "describe_instances", "Reservations"):
        for instance in reservation.get("Instances") or []:
            if instance.get("State", {}).get("Name") != "terminated":
                yield Listed(str(instance["InstanceId"]), jsonable(dict(instance)))


async def _buckets(client: Any, account: str, region: str) -> AsyncIterator[Listed]:
    response = await client.list_buckets()
    for bucket in response.get("Buckets") or []:
        yield Listed(str(bucket["Name"]))


async def _queues(client: Any, account: str, region: str) -> AsyncIterator[Listed]:
    async for url in _pages(client, "list_queues", "QueueUrls"):
        name = str(url).rstrip("/").rsplit("/", 1)[-1]
        yield Listed(f"arn:aws:sqs:{region}:{account}:{name}")


async def _trails(client: Any, account: str, region: str) -> AsyncIterator[Listed]:
    response = await client.describe_trails(includeShadowTrails=False)
    for trail in response.get("trailList") or []:
        if trail.get("TrailARN"):
            yield Listed(str(trail["TrailARN"]))


LISTERS: dict[str, Lister] = {
    "AWS::EC2::Instance": Lister("ec2", False, _instances),
    "AWS::EC2::SecurityGroup": Lister(
        "ec2", False, _described("describe_security_groups", "SecurityGroups", "GroupId")
    ),
    "AWS::EC2::Volume": Lister("ec2", False, _described("describe_volumes", "Volumes", "VolumeId")),
    "AWS::EC2::VPC": Lister("ec2", False, _described("describe_vpcs", "Vpcs", "VpcId")),
    "AWS::EC2::Subnet": Lister("ec2", False, _described("describe_subnets", "Subnets", "SubnetId")),
    "AWS::EC2::NetworkInterface": Lister(
        "ec2",
        False,
        _described("describe_network_interfaces", "NetworkInterfaces", "NetworkInterfaceId"),
    ),
    "AWS::S3::Bucket": Lister("s3", True, _buckets),
    "AWS::IAM::Role": Lister("iam", True, _named("list_roles", "Roles", "Arn")),
    "AWS::IAM::User": Lister("iam", True, _named("list_users", "Users", "Arn")),
    "AWS::IAM::Group": Lister("iam", True, _named("list_groups", "Groups", "Arn")),
    "AWS::IAM::ManagedPolicy": Lister(
        "iam", True, _named("list_policies", "Policies", "Arn", Scope="Local")
    ),
    "AWS::Lambda::Function": Lister(
        "lambda", False, _named("list_functions", "Functions", "FunctionArn")
    ),
    "AWS::RDS::DBInstance": Lister(
        "rds", False, _named("describe_db_instances", "DBInstances", "DBInstanceArn")
    ),
    "AWS::RDS::DBCluster": Lister(
        "rds", False, _named("describe_db_clusters", "DBClusters", "DBClusterArn")
    ),
    "AWS::KMS::Key": Lister("kms", False, _named("list_keys", "Keys", "KeyArn")),
    "AWS::SNS::Topic": Lister("sns", False, _named("list_topics", "Topics", "TopicArn")),
    "AWS::SQS::Queue": Lister("sqs", False, _queues),
    "AWS::DynamoDB::Table": Lister("dynamodb", False, _named("list_tables", "TableNames")),
    "AWS::SecretsManager::Secret": Lister(
        "secretsmanager", False, _named("list_secrets", "SecretList", "ARN")
    ),
    "AWS::CloudTrail::Trail": Lister("cloudtrail", False, _trails),
}
"""Every type the inventory sync lists (those with an explicit describe call)."""


def cloudcontrol_types(explicit: Collection[str] = ()) -> set[str]:
    """The types the sync lists through Cloud Control when asked (`[sync] types`): every
    CloudFormation type with one primary identifier (its value is then the asset's id, name or
    ARN, as its events give it) that no explicit lister covers."""
    table = load_table()
    return {
        name
        for name, derived in table.types.items()
        if len(derived.identifiers) == 1 and name not in LISTERS and name not in explicit
    }


def cloudcontrol_lister(type_name: str) -> Lister:
    """Cloud Control's `ListResources` for one type; each resource is then read with
    `GetResource` (list handlers often return the identifier only), as events' are."""

    async def call(client: Any, account: str, region: str) -> AsyncIterator[Listed]:
        async for identifier, _ in list_resources(type_name, client):
            yield Listed(identifier)

    return Lister(SERVICE, False, call)


def unsupported(types: Collection[str]) -> list[str]:
    """The types in `types` the sync cannot list (neither explicitly nor through Cloud
    Control), sorted."""
    unknown = set(types) - set(LISTERS)
    return sorted(unknown - cloudcontrol_types()) if unknown else []


def unsupported_message(unknown: Collection[str], verb: str = "sync") -> str:
    return (
        f"cannot {verb} {', '.join(unknown)} (supported: {', '.join(sorted(LISTERS))}, and "
        "through Cloud Control the CloudFormation types with one primary identifier)"
    )
