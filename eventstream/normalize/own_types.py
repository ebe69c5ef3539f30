"""EventStream's own asset types: the few the tables emit that are not CloudFormation types.

Every other type an event names is a CloudFormation resource type (`AWS::<Service>::<Resource>`,
the names in the resource provider schemas the derived table is generated from), or a
`AWS::Generic::<service>/<resource>` stand-in for an ARN no table knows. These are assets AWS
has and changes are made to, but CloudFormation has no resource type for; each is named the way
AWS names it elsewhere (AWS Config's resource types where it has one). A test checks that every
type the tables emit is a CloudFormation type or listed here.
"""

from __future__ import annotations

OWN_TYPES: dict[str, str] = {
    "AWS::EC2::Image": (
        "an AMI: made by CreateImage, RegisterImage or CopyImage, never by a template"
        " (CloudFormation has no AMI type)"
    ),
    "AWS::EC2::Snapshot": (
        "an EBS snapshot: made by CreateSnapshot or CopySnapshot (CloudFormation has no snapshot"
        " type); AWS Config's type name"
    ),
    "AWS::EC2::SecurityGroupRule": (
        "one rule of a security group, with its own id (`sgr-...`) since 2021; CloudFormation"
        " has only AWS::EC2::SecurityGroupIngress and ...Egress, which name no rule id"
    ),
    "AWS::RDS::DBClusterSnapshot": (
        "a manual Aurora cluster snapshot (CloudFormation has none); AWS Config's type name"
    ),
    "AWS::SSM::ManagedInstance": (
        "an instance or on-premises server registered with Systems Manager (`mi-...`);"
        " CloudFormation has no type for the registration"
    ),
}
