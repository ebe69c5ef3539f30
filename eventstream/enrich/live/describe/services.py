"""Describe calls of the other families: Lambda, RDS, KMS, SNS, SQS, DynamoDB, Secrets
Manager (describe_secret only, never the secret value), CloudTrail. Where a service keeps
tags out of its describe answer (Lambda, KMS, SQS, DynamoDB), they are read beside it, so a
tagging call's event has a patch."""

from __future__ import annotations

import contextlib
from typing import Any

from botocore.exceptions import ClientError

from eventstream import codec
from eventstream.enrich.live.describe.base import Kind, name_of
from eventstream.enrich.live.outcome import Target
from eventstream.sources.aws import error_code


async def _function(made: Any, target: Target) -> dict[str, Any] | None:
    name = name_of(target.arn or target.provider_id)
    config = dict(await made.get_function_configuration(FunctionName=name))
    try:
        policy = await made.get_policy(FunctionName=name)
        config["Policy"] = codec.loads(policy["Policy"])
    except ClientError as e:
        if error_code(e) != "ResourceNotFoundException":
            raise
        config["Policy"] = None
    tags = await made.list_tags(Resource=config["FunctionArn"])  # not in the configuration
    config["Tags"] = dict(tags.get("Tags", {}))
    return config


async def _db_instance(made: Any, target: Target) -> dict[str, Any] | None:
    got = await made.describe_db_instances(DBInstanceIdentifier=name_of(target.provider_id))
    items = got.get("DBInstances", [])
    return dict(items[0]) if items else None


async def _db_cluster(made: Any, target: Target) -> dict[str, Any] | None:
    got = await made.describe_db_clusters(DBClusterIdentifier=name_of(target.provider_id))
    items = got.get("DBClusters", [])
    return dict(items[0]) if items else None


async def _key(made: Any, target: Target) -> dict[str, Any] | None:
    key_id = target.arn or target.provider_id
    meta = dict((await made.describe_key(KeyId=key_id))["KeyMetadata"])
    if meta.get("KeyState") == "PendingDeletion":
        return None
    policy = await made.get_key_policy(KeyId=key_id, PolicyName="default")
    meta["KeyPolicy"] = codec.loads(policy["Policy"])
    if meta.get("KeyManager") == "CUSTOMER" and meta.get("KeySpec", "SYMMETRIC_DEFAULT") == (
        "SYMMETRIC_DEFAULT"
    ):
        rotation = await made.get_key_rotation_status(KeyId=key_id)
        meta["KeyRotationEnabled"] = rotation.get("KeyRotationEnabled")
    if meta.get("KeyManager") == "CUSTOMER":  # AWS managed keys carry no tags of their own
        tags = await made.list_resource_tags(KeyId=key_id)
        meta["Tags"] = list(tags.get("Tags", []))
    return meta


def _attributes(got: dict[str, Any], *documents: str) -> dict[str, Any]:
    """A `Get*Attributes` answer's attributes, the JSON documents among them parsed (an empty
    or unparsable value stays as the provider gave it: SNS answers `""` for a topic without a
    delivery policy)."""
    attributes = dict(got.get("Attributes", {}))
    for key in documents:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            with contextlib.suppress(ValueError):
                attributes[key] = codec.loads(value)
    return attributes


def _topic_arn(target: Target) -> str:
    if target.provider_id.startswith("arn:"):
        return target.provider_id
    if target.arn:
        return target.arn
    return f"arn:aws:sns:{target.region}:{target.account}:{target.provider_id}"


async def _topic(made: Any, target: Target) -> dict[str, Any] | None:
    got = await made.get_topic_attributes(TopicArn=_topic_arn(target))
    return _attributes(got, "Policy", "EffectiveDeliveryPolicy", "DeliveryPolicy")


async def _queue(made: Any, target: Target) -> dict[str, Any] | None:
    pid = target.provider_id
    if pid.startswith(("https://", "http://")):
        url = pid
    else:
        url = (
            await made.get_queue_url(QueueName=name_of(pid), QueueOwnerAWSAccountId=target.account)
        )["QueueUrl"]
    got = await made.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    queue = _attributes(got, "Policy", "RedrivePolicy", "RedriveAllowPolicy")
    tags = await made.list_queue_tags(QueueUrl=url)  # not among the attributes
    queue["Tags"] = dict(tags.get("Tags", {}))
    return queue


async def _table(made: Any, target: Target) -> dict[str, Any] | None:
    """`DescribeTable` with the table's tags (`ListTagsOfResource`): DescribeTable has none,
    so a `TagResource` change would otherwise be described with an empty patch."""
    got = await made.describe_table(TableName=name_of(target.provider_id))
    table = dict(got["Table"])
    if table.get("TableStatus") == "DELETING":
        return None
    tags = await made.list_tags_of_resource(ResourceArn=table["TableArn"])
    table["Tags"] = list(tags.get("Tags", []))
    return table


async def _secret(made: Any, target: Target) -> dict[str, Any] | None:
    got = dict(await made.describe_secret(SecretId=target.arn or target.provider_id))
    if got.get("DeletedDate"):
        return None
    return got


async def _trail(made: Any, target: Target) -> dict[str, Any] | None:
    name = target.arn or target.provider_id
    got = await made.describe_trails(trailNameList=[name], includeShadowTrails=False)
    trails = got.get("trailList", [])
    return dict(trails[0]) if trails else None


KINDS = {
    "AWS::Lambda::Function": Kind("lambda", _function),
    "AWS::RDS::DBInstance": Kind("rds", _db_instance),
    "AWS::RDS::DBCluster": Kind("rds", _db_cluster),
    "AWS::KMS::Key": Kind("kms", _key),
    "AWS::SNS::Topic": Kind("sns", _topic),
    "AWS::SQS::Queue": Kind("sqs", _queue),
    "AWS::DynamoDB::Table": Kind("dynamodb", _table),
    "AWS::SecretsManager::Secret": Kind("secretsmanager", _secret),
    "AWS::CloudTrail::Trail": Kind("cloudtrail", _trail),
}
