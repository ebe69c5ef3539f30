"""EC2 and VPC: instances, volumes, snapshots, images, networking, security groups and rules."""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.iam import INSTANCE_PROFILE
from eventstream.normalize.rules import Assoc, Family, Rule, Target, targets

_SOURCE = "ec2.amazonaws.com"


def _ec2(cfn: str, slug: str, arn_resource: str, prefix: str | None) -> Kind:
    return Kind(
        type=f"AWS::EC2::{cfn}",
        service="ec2",
        slug=slug,
        arn_resource=arn_resource,
        id_prefix=prefix,
        arn_template=f"arn:aws:ec2:{{region}}:{{account}}:{arn_resource}/{{id}}",
    )


INSTANCE = _ec2("Instance", "instance", "instance", "i-")
SECURITY_GROUP = _ec2("SecurityGroup", "security-group", "security-group", "sg-")
SECURITY_GROUP_RULE = _ec2(
    "SecurityGroupRule", "security-group-rule", "security-group-rule", "sgr-"
)
VOLUME = _ec2("Volume", "volume", "volume", "vol-")
SNAPSHOT = _ec2("Snapshot", "snapshot", "snapshot", "snap-")
IMAGE = _ec2("Image", "image", "image", "ami-")
VPC = _ec2("VPC", "vpc", "vpc", "vpc-")
SUBNET = _ec2("Subnet", "subnet", "subnet", "subnet-")
NETWORK_INTERFACE = _ec2("NetworkInterface", "network-interface", "network-interface", "eni-")
KEY_PAIR = Kind(
    type="AWS::EC2::KeyPair",
    service="ec2",
    slug="key-pair",
    arn_resource="key-pair",
)
EIP = _ec2("EIP", "elastic-ip", "elastic-ip", "eipalloc-")
ROUTE_TABLE = _ec2("RouteTable", "route-table", "route-table", "rtb-")
# A route table association has an id (`rtbassoc-`) but no ARN of its own.
ROUTE_TABLE_ASSOCIATION = Kind(
    type="AWS::EC2::SubnetRouteTableAssociation",
    service="ec2",
    slug="route-table-association",
    id_prefix="rtbassoc-",
)
INTERNET_GATEWAY = _ec2("InternetGateway", "internet-gateway", "internet-gateway", "igw-")
NAT_GATEWAY = _ec2("NatGateway", "nat-gateway", "natgateway", "nat-")
LAUNCH_TEMPLATE = _ec2("LaunchTemplate", "launch-template", "launch-template", "lt-")
NETWORK_ACL = _ec2("NetworkAcl", "network-acl", "network-acl", "acl-")
FLOW_LOG = _ec2("FlowLog", "flow-log", "vpc-flow-log", "fl-")
VPC_ENDPOINT = _ec2("VPCEndpoint", "vpc-endpoint", "vpc-endpoint", "vpce-")
VPC_PEERING = _ec2(
    "VPCPeeringConnection", "vpc-peering-connection", "vpc-peering-connection", "pcx-"
)
DHCP_OPTIONS = _ec2("DHCPOptions", "dhcp-options", "dhcp-options", "dopt-")
TRANSIT_GATEWAY = _ec2("TransitGateway", "transit-gateway", "transit-gateway", "tgw-")
TRANSIT_GATEWAY_ATTACHMENT = _ec2(
    "TransitGatewayAttachment",
    "transit-gateway-attachment",
    "transit-gateway-attachment",
    "tgw-attach-",
)
CUSTOMER_GATEWAY = _ec2("CustomerGateway", "customer-gateway", "customer-gateway", "cgw-")
VPN_GATEWAY = _ec2("VPNGateway", "vpn-gateway", "vpn-gateway", "vgw-")
VPN_CONNECTION = _ec2("VPNConnection", "vpn-connection", "vpn-connection", "vpn-")
PREFIX_LIST = _ec2("PrefixList", "prefix-list", "prefix-list", "pl-")
EGRESS_ONLY_IGW = _ec2(
    "EgressOnlyInternetGateway",
    "egress-only-internet-gateway",
    "egress-only-internet-gateway",
    "eigw-",
)
PLACEMENT_GROUP = _ec2("PlacementGroup", "placement-group", "placement-group", "pg-")
SPOT_FLEET = _ec2("SpotFleet", "spot-fleet", "spot-fleet-request", "sfr-")
EC2_FLEET = _ec2("EC2Fleet", "fleet", "fleet", "fleet-")
CAPACITY_RESERVATION = _ec2(
    "CapacityReservation", "capacity-reservation", "capacity-reservation", "cr-"
)

_INSTANCE_ASSOCIATIONS = (
    Assoc("Is contained in Subnet", SUBNET, "@.subnetId"),
    Assoc("Is contained in Vpc", VPC, "@.vpcId"),
    Assoc("Is associated with SecurityGroup", SECURITY_GROUP, "@.groupSet.items[].groupId"),
    Assoc(
        "Is attached to NetworkInterface",
        NETWORK_INTERFACE,
        "@.networkInterfaceSet.items[].networkInterfaceId",
    ),
    Assoc("Is attached to Volume", VOLUME, "@.blockDeviceMapping.items[].ebs.volumeId"),
    Assoc("Is associated with Image", IMAGE, "@.imageId"),
    Assoc("Is associated with KeyPair", KEY_PAIR, "@.keyName"),
)


def _tagged(items: str) -> Target:
    """Tags added or removed: an update of each resource, whatever the call's verb says."""
    return Target(None, items, action=Action.UPDATE)


_SG_RULE_ASSOC = (
    Assoc(
        "Has SecurityGroupRule",
        SECURITY_GROUP_RULE,
        "response.securityGroupRuleSet.items[].securityGroupRuleId",
    ),
)
_GROUP = ("request.groupId", "request.groupName")

_RULES: dict[str, Rule] = {
    # instances
    # one create per instance launched, configuration from the response
    "RunInstances": Target(
        INSTANCE,
        "@.instanceId",
        items="response.instancesSet.items[]",
        config="@",
        assoc=(
            *_INSTANCE_ASSOCIATIONS,
            Assoc(
                "Is associated with InstanceProfile", INSTANCE_PROFILE, "@.iamInstanceProfile.arn"
            ),
        ),
    ),
    "TerminateInstances": Target(INSTANCE, "request.instancesSet.items[].instanceId"),
    "StartInstances": Target(INSTANCE, "request.instancesSet.items[].instanceId"),
    "StopInstances": Target(INSTANCE, "request.instancesSet.items[].instanceId"),
    "RebootInstances": Target(INSTANCE, "request.instancesSet.items[].instanceId"),
    "ModifyInstanceAttribute": Target(INSTANCE, "request.instanceId"),
    "ModifyInstanceMetadataOptions": Target(
        INSTANCE, "request.ModifyInstanceMetadataOptionsRequest.InstanceId"
    ),
    "MonitorInstances": Target(
        INSTANCE, "request.instancesSet.items[].instanceId", action=Action.UPDATE
    ),
    "UnmonitorInstances": Target(
        INSTANCE, "request.instancesSet.items[].instanceId", action=Action.UPDATE
    ),
    "AssociateIamInstanceProfile": Target(
        INSTANCE, "request.AssociateIamInstanceProfileRequest.InstanceId"
    ),
    "ReplaceIamInstanceProfileAssociation": Target(
        INSTANCE,
        "response.ReplaceIamInstanceProfileAssociationResponse.iamInstanceProfileAssociation.instanceId",
    ),
    # security groups and their rules
    "CreateSecurityGroup": Target(
        SECURITY_GROUP,
        "response.groupId",
        assoc=(Assoc("Is contained in Vpc", VPC, "request.vpcId"),),
    ),
    "DeleteSecurityGroup": Target(SECURITY_GROUP, _GROUP),
    "AuthorizeSecurityGroupIngress": Target(SECURITY_GROUP, _GROUP, assoc=_SG_RULE_ASSOC),
    "AuthorizeSecurityGroupEgress": Target(SECURITY_GROUP, _GROUP, assoc=_SG_RULE_ASSOC),
    "RevokeSecurityGroupIngress": Target(SECURITY_GROUP, _GROUP),
    "RevokeSecurityGroupEgress": Target(SECURITY_GROUP, _GROUP),
    "ModifySecurityGroupRules": Target(
        SECURITY_GROUP, ("request.ModifySecurityGroupRulesRequest.GroupId", "request.groupId")
    ),
    "UpdateSecurityGroupRuleDescriptionsIngress": Target(SECURITY_GROUP, _GROUP),
    "UpdateSecurityGroupRuleDescriptionsEgress": Target(SECURITY_GROUP, _GROUP),
    "ModifyNetworkInterfaceAttribute": Target(NETWORK_INTERFACE, "request.networkInterfaceId"),
    # volumes, snapshots, images
    "CreateVolume": Target(VOLUME, "response.volumeId"),
    "DeleteVolume": Target(VOLUME, "request.volumeId"),
    "ModifyVolume": Target(VOLUME, ("request.ModifyVolumeRequest.VolumeId", "request.volumeId")),
    "AttachVolume": targets(
        Target(
            VOLUME,
            "request.volumeId",
            assoc=(Assoc("Is attached to Instance", INSTANCE, "request.instanceId"),),
        ),
        Target(
            INSTANCE,
            "request.instanceId",
            assoc=(Assoc("Is attached to Volume", VOLUME, "request.volumeId"),),
        ),
    ),
    "DetachVolume": targets(
        Target(VOLUME, "request.volumeId"),
        Target(INSTANCE, ("request.instanceId", "response.instanceId")),
    ),
    "CreateSnapshot": Target(
        SNAPSHOT,
        "response.snapshotId",
        assoc=(Assoc("Is associated with Volume", VOLUME, "request.volumeId"),),
    ),
    "CreateSnapshots": Target(SNAPSHOT, "response.snapshotSet.items[].snapshotId"),
    "CopySnapshot": Target(SNAPSHOT, "response.snapshotId"),
    "DeleteSnapshot": Target(SNAPSHOT, "request.snapshotId"),
    "ModifySnapshotAttribute": Target(SNAPSHOT, "request.snapshotId"),
    "ResetSnapshotAttribute": Target(SNAPSHOT, "request.snapshotId"),
    # another account created a volume from a snapshot shared with it: the snapshot was used
    "SharedSnapshotVolumeCreated": Target(
        SNAPSHOT,
        "record.serviceEventDetails.snapshotId",
        action=Action.UPDATE,
    ),
    "RegisterImage": Target(
        IMAGE,
        "response.imageId",
        assoc=(
            Assoc(
                "Is associated with Snapshot",
                SNAPSHOT,
                "request.blockDeviceMapping.items[].ebs.snapshotId",
            ),
        ),
    ),
    "CreateImage": Target(
        IMAGE,
        "response.imageId",
        assoc=(Assoc("Is associated with Instance", INSTANCE, "request.instanceId"),),
    ),
    "CopyImage": Target(IMAGE, "response.imageId"),
    "DeregisterImage": Target(IMAGE, "request.imageId"),
    "ModifyImageAttribute": Target(IMAGE, "request.imageId"),
    "ResetImageAttribute": Target(IMAGE, "request.imageId"),
    "EnableImageDeprecation": Target(IMAGE, "request.EnableImageDeprecationRequest.ImageId"),
    # VPC and networking
    "CreateVpc": Target(
        VPC,
        "response.vpc.vpcId",
        config="response.vpc",
        assoc=(
            Assoc("Is associated with DHCPOptions", DHCP_OPTIONS, "response.vpc.dhcpOptionsId"),
        ),
    ),
    "DeleteVpc": Target(VPC, "request.vpcId"),
    "ModifyVpcAttribute": Target(VPC, "request.vpcId"),
    "AssociateVpcCidrBlock": Target(VPC, "request.vpcId"),
    "DisassociateVpcCidrBlock": Target(VPC, "response.vpcId"),
    "CreateSubnet": Target(
        SUBNET,
        "response.subnet.subnetId",
        config="response.subnet",
        assoc=(Assoc("Is contained in Vpc", VPC, "request.vpcId"),),
    ),
    "DeleteSubnet": Target(SUBNET, "request.subnetId"),
    "ModifySubnetAttribute": Target(SUBNET, "request.subnetId"),
    "CreateNetworkInterface": Target(
        NETWORK_INTERFACE,
        "response.networkInterface.networkInterfaceId",
        config="response.networkInterface",
        assoc=(
            Assoc("Is contained in Subnet", SUBNET, "response.networkInterface.subnetId"),
            Assoc("Is contained in Vpc", VPC, "response.networkInterface.vpcId"),
            Assoc(
                "Is associated with SecurityGroup",
                SECURITY_GROUP,
                "response.networkInterface.groupSet.items[].groupId",
            ),
        ),
    ),
    "DeleteNetworkInterface": Target(NETWORK_INTERFACE, "request.networkInterfaceId"),
    "AttachNetworkInterface": targets(
        Target(NETWORK_INTERFACE, "request.networkInterfaceId"),
        Target(INSTANCE, "request.instanceId"),
    ),
    "CreateKeyPair": Target(KEY_PAIR, ("response.keyName", "request.keyName")),
    "ImportKeyPair": Target(KEY_PAIR, ("response.keyName", "request.keyName")),
    "DeleteKeyPair": Target(KEY_PAIR, ("request.keyName", "request.keyPairId")),
    "AllocateAddress": Target(EIP, "response.allocationId", config="response"),
    "ReleaseAddress": Target(EIP, ("request.allocationId", "request.publicIp")),
    "AssociateAddress": targets(
        Target(EIP, "request.allocationId"),
        Target(INSTANCE, "request.instanceId"),
        Target(NETWORK_INTERFACE, "request.networkInterfaceId"),
    ),
    "DisassociateAddress": Target(
        EIP, ("request.associationId", "request.publicIp"), action=Action.UPDATE
    ),
    "CreateRouteTable": Target(
        ROUTE_TABLE,
        "response.routeTable.routeTableId",
        config="response.routeTable",
        assoc=(Assoc("Is contained in Vpc", VPC, "request.vpcId"),),
    ),
    "DeleteRouteTable": Target(ROUTE_TABLE, "request.routeTableId"),
    "CreateRoute": Target(
        ROUTE_TABLE,
        "request.routeTableId",
        action=Action.UPDATE,
        assoc=(
            Assoc("Routes to InternetGateway", INTERNET_GATEWAY, "request.gatewayId"),
            Assoc("Routes to NatGateway", NAT_GATEWAY, "request.natGatewayId"),
            Assoc("Routes to NetworkInterface", NETWORK_INTERFACE, "request.networkInterfaceId"),
        ),
    ),
    "ReplaceRoute": Target(ROUTE_TABLE, "request.routeTableId"),
    "DeleteRoute": Target(ROUTE_TABLE, "request.routeTableId", action=Action.UPDATE),
    "AssociateRouteTable": targets(
        Target(
            ROUTE_TABLE_ASSOCIATION,
            "response.associationId",
            action=Action.CREATE,
            assoc=(
                Assoc("Is associated with RouteTable", ROUTE_TABLE, "request.routeTableId"),
                Assoc("Is associated with Subnet", SUBNET, "request.subnetId"),
            ),
        ),
        Target(
            ROUTE_TABLE,
            "request.routeTableId",
            assoc=(Assoc("Is associated with Subnet", SUBNET, "request.subnetId"),),
        ),
    ),
    "DisassociateRouteTable": Target(
        ROUTE_TABLE_ASSOCIATION, "request.associationId", action=Action.DELETE
    ),
    "ReplaceRouteTableAssociation": Target(
        ROUTE_TABLE_ASSOCIATION,
        "request.associationId",
        action=Action.UPDATE,
        assoc=(Assoc("Is associated with RouteTable", ROUTE_TABLE, "request.routeTableId"),),
    ),
    "CreateInternetGateway": Target(
        INTERNET_GATEWAY,
        "response.internetGateway.internetGatewayId",
        config="response.internetGateway",
    ),
    "DeleteInternetGateway": Target(INTERNET_GATEWAY, "request.internetGatewayId"),
    "AttachInternetGateway": targets(
        Target(
            INTERNET_GATEWAY,
            "request.internetGatewayId",
            assoc=(Assoc("Is attached to Vpc", VPC, "request.vpcId"),),
        ),
        Target(VPC, "request.vpcId"),
    ),
    "DetachInternetGateway": targets(
        Target(INTERNET_GATEWAY, "request.internetGatewayId"),
        Target(VPC, "request.vpcId"),
    ),
    "CreateNatGateway": Target(
        NAT_GATEWAY,
        "response.CreateNatGatewayResponse.natGateway.natGatewayId",
        config="response.CreateNatGatewayResponse.natGateway",
        assoc=(
            Assoc("Is contained in Subnet", SUBNET, "request.CreateNatGatewayRequest.SubnetId"),
            Assoc("Is associated with EIP", EIP, "request.CreateNatGatewayRequest.AllocationId"),
        ),
    ),
    "DeleteNatGateway": Target(
        NAT_GATEWAY, ("request.DeleteNatGatewayRequest.NatGatewayId", "request.natGatewayId")
    ),
    "CreateLaunchTemplate": Target(
        LAUNCH_TEMPLATE,
        ("response.CreateLaunchTemplateResponse.launchTemplate.launchTemplateId",),
        config="response.CreateLaunchTemplateResponse.launchTemplate",
    ),
    "CreateLaunchTemplateVersion": Target(
        LAUNCH_TEMPLATE,
        "response.CreateLaunchTemplateVersionResponse.launchTemplateVersion.launchTemplateId",
        action=Action.UPDATE,
    ),
    "ModifyLaunchTemplate": Target(
        LAUNCH_TEMPLATE, "request.ModifyLaunchTemplateRequest.LaunchTemplateId"
    ),
    "DeleteLaunchTemplate": Target(
        LAUNCH_TEMPLATE,
        (
            "response.DeleteLaunchTemplateResponse.launchTemplate.launchTemplateId",
            "request.DeleteLaunchTemplateRequest.LaunchTemplateId",
        ),
    ),
    "CreateNetworkAcl": Target(
        NETWORK_ACL,
        "response.networkAcl.networkAclId",
        config="response.networkAcl",
        assoc=(Assoc("Is contained in Vpc", VPC, "request.vpcId"),),
    ),
    "DeleteNetworkAcl": Target(NETWORK_ACL, "request.networkAclId"),
    "CreateNetworkAclEntry": Target(NETWORK_ACL, "request.networkAclId", action=Action.UPDATE),
    "ReplaceNetworkAclEntry": Target(NETWORK_ACL, "request.networkAclId"),
    "DeleteNetworkAclEntry": Target(NETWORK_ACL, "request.networkAclId", action=Action.UPDATE),
    "ReplaceNetworkAclAssociation": Target(NETWORK_ACL, "request.networkAclId"),
    "CreateFlowLogs": Target(
        FLOW_LOG,
        ("response.CreateFlowLogsResponse.flowLogIdSet.item[]", "response.flowLogIdSet.items[]"),
        assoc=(Assoc("Logs traffic of", None, "request.CreateFlowLogsRequest.ResourceId"),),
    ),
    "DeleteFlowLogs": Target(
        FLOW_LOG, ("request.DeleteFlowLogsRequest.FlowLogId[]", "request.flowLogIds.items[]")
    ),
    "CreateVpcEndpoint": Target(
        VPC_ENDPOINT,
        "response.CreateVpcEndpointResponse.vpcEndpoint.vpcEndpointId",
        config="response.CreateVpcEndpointResponse.vpcEndpoint",
    ),
    "DeleteVpcEndpoints": Target(VPC_ENDPOINT, "request.DeleteVpcEndpointsRequest.VpcEndpointId[]"),
    "CreateVpcPeeringConnection": Target(
        VPC_PEERING,
        "response.vpcPeeringConnection.vpcPeeringConnectionId",
        config="response.vpcPeeringConnection",
    ),
    "AcceptVpcPeeringConnection": Target(VPC_PEERING, "request.vpcPeeringConnectionId"),
    "DeleteVpcPeeringConnection": Target(VPC_PEERING, "request.vpcPeeringConnectionId"),
    "CreateDhcpOptions": Target(
        DHCP_OPTIONS, "response.dhcpOptions.dhcpOptionsId", config="response.dhcpOptions"
    ),
    "DeleteDhcpOptions": Target(DHCP_OPTIONS, "request.dhcpOptionsId"),
    "AssociateDhcpOptions": Target(VPC, "request.vpcId"),
    "CreateTransitGatewayVpcAttachment": Target(
        TRANSIT_GATEWAY_ATTACHMENT,
        "response.CreateTransitGatewayVpcAttachmentResponse.transitGatewayVpcAttachment"
        ".transitGatewayAttachmentId",
    ),
    "DeleteTransitGatewayVpcAttachment": Target(
        TRANSIT_GATEWAY_ATTACHMENT,
        (
            "request.DeleteTransitGatewayVpcAttachmentRequest.TransitGatewayAttachmentId",
            "response.DeleteTransitGatewayVpcAttachmentResponse.transitGatewayVpcAttachment"
            ".transitGatewayAttachmentId",
        ),
    ),
    "CreateEgressOnlyInternetGateway": Target(
        EGRESS_ONLY_IGW, "response.egressOnlyInternetGateway.egressOnlyInternetGatewayId"
    ),
    "DeleteEgressOnlyInternetGateway": Target(
        EGRESS_ONLY_IGW,
        "request.DeleteEgressOnlyInternetGatewayRequest.EgressOnlyInternetGatewayId",
    ),
    # tags on any EC2 resource: the kind comes from each id's prefix
    "CreateTags": _tagged("request.resourcesSet.items[].resourceId"),
    "DeleteTags": _tagged("request.resourcesSet.items[].resourceId"),
}

FAMILY = Family(
    name="ec2",
    sources=(_SOURCE,),
    kinds=(
        INSTANCE,
        SECURITY_GROUP,
        SECURITY_GROUP_RULE,
        VOLUME,
        SNAPSHOT,
        IMAGE,
        VPC,
        SUBNET,
        NETWORK_INTERFACE,
        KEY_PAIR,
        EIP,
        ROUTE_TABLE,
        ROUTE_TABLE_ASSOCIATION,
        INTERNET_GATEWAY,
        NAT_GATEWAY,
        LAUNCH_TEMPLATE,
        NETWORK_ACL,
        FLOW_LOG,
        VPC_ENDPOINT,
        VPC_PEERING,
        DHCP_OPTIONS,
        TRANSIT_GATEWAY,
        TRANSIT_GATEWAY_ATTACHMENT,
        CUSTOMER_GATEWAY,
        VPN_GATEWAY,
        VPN_CONNECTION,
        PREFIX_LIST,
        EGRESS_ONLY_IGW,
        PLACEMENT_GROUP,
        SPOT_FLEET,
        EC2_FLEET,
        CAPACITY_RESERVATION,
    ),
    rules=_RULES,
)
