"""Every service family EventStream knows, and the default registry built from them."""

from __future__ import annotations

from eventstream.normalize.derived import load_table
from eventstream.normalize.registry import Registry
from eventstream.normalize.resources import (
    activity,
    cloudformation,
    cloudtrail,
    config,
    dynamodb,
    ec2,
    ecs,
    efs,
    eks,
    elbv2,
    guardduty,
    iam,
    kms,
    lambda_,
    logs,
    rds,
    rolesanywhere,
    route53,
    s3,
    secretsmanager,
    sns,
    sqs,
    ssm,
)
from eventstream.normalize.rules import Family

FAMILIES: tuple[Family, ...] = (
    ec2.FAMILY,
    iam.FAMILY,
    s3.FAMILY,
    lambda_.FAMILY,
    secretsmanager.FAMILY,
    ssm.FAMILY,
    kms.FAMILY,
    logs.FAMILY,
    cloudtrail.FAMILY,
    rolesanywhere.FAMILY,
    rds.FAMILY,
    sns.FAMILY,
    sqs.FAMILY,
    dynamodb.FAMILY,
    cloudformation.FAMILY,
    ecs.FAMILY,
    eks.FAMILY,
    elbv2.FAMILY,
    route53.FAMILY,
    efs.FAMILY,
    guardduty.FAMILY,
    config.FAMILY,
    *activity.FAMILIES,
)


def default_registry(*, derived: bool = True) -> Registry:
    """Every family, with the derived resolver behind them (`derived=False`: tables only)."""
    return Registry(FAMILIES, load_table() if derived else None)
