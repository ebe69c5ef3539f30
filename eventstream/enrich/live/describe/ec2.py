"""EC2 and VPC describe calls: instances, security groups (with rules), volumes, VPCs,
subnets, network interfaces."""

from __future__ import annotations

from typing import Any

from eventstream.enrich.live.describe.base import Kind
from eventstream.enrich.live.outcome import Target


def _first(response: dict[str, Any], key: str) -> dict[str, Any] | None:
    items = response.get(key) or []
    return dict(items[0]) if items else None


async def _instance(made: Any, target: Target) -> dict[str, Any] | None:
    response = await made.describe_instances(InstanceIds=[target.provider_id])
    for reservation in response.get("Reservations", []):
        for instance in reservation.get("Instances", []):
            if instance.get("State", {}).get("Name") == "terminated":
                return None
            return dict(instance)
    return None


def _lister(method: str, param: str, key: str) -> Any:
    async def describe(made: Any, target: Target) -> dict[str, Any] | None:
        response = await getattr(made, method)(**{param: [target.provider_id]})
        return _first(response, key)

    return describe


KINDS = {
    "AWS::EC2::Instance": Kind("ec2", _instance),
    "AWS::EC2::SecurityGroup": Kind(
        "ec2", _lister("describe_security_groups", "GroupIds", "SecurityGroups")
    ),
    "AWS::EC2::Volume": Kind("ec2", _lister("describe_volumes", "VolumeIds", "Volumes")),
    "AWS::EC2::VPC": Kind("ec2", _lister("describe_vpcs", "VpcIds", "Vpcs")),
    "AWS::EC2::Subnet": Kind("ec2", _lister("describe_subnets", "SubnetIds", "Subnets")),
    "AWS::EC2::NetworkInterface": Kind(
        "ec2",
        _lister("describe_network_interfaces", "NetworkInterfaceIds", "NetworkInterfaces"),
    ),
}
