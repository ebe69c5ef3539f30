"""A Lambda function, a KMS key, an SQS queue and a DynamoDB table created in moto, then
changed twice, each change with its CloudTrail record through the normalizer, the live stage
and the journal: described each time; the second change carries the first's configuration as
previous and a patch of exactly what changed."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

from redis.asyncio import Redis

from eventstream import codec
from eventstream.enrich.live.describe import describers
from eventstream.journal.keys import Keys
from tests.aws.conftest import REGION, Moto
from tests.enrich.live.changes import ACCOUNT, committed, live_committer, ops, record
from tests.enrich.live.test_stage import _events

TRUST = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'  # noqa: E501


def _supported(made: dict[str, Any]) -> dict[str, Any]:
    [event] = _events(made)
    assert event["data"]["asset"]["type"] in describers(), event["data"]["asset"]
    return made


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _function_response(config: dict[str, Any]) -> dict[str, Any]:
    """A CreateFunction/UpdateFunctionConfiguration response as CloudTrail writes it."""
    return {
        "functionName": config["FunctionName"],
        "functionArn": config["FunctionArn"],
        "runtime": config["Runtime"],
        "role": config["Role"],
        "handler": config["Handler"],
        "codeSize": config["CodeSize"],
        "description": "",
        "timeout": config["Timeout"],
        "memorySize": config["MemorySize"],
        "lastModified": "2026-12-02T20:00:00.000+0000",
        "codeSha256": config["CodeSha256"],
        "version": "$LATEST",
        "packageType": "Zip",
        "architectures": ["x86_64"],
        "ephemeralStorage": {"size": 512},
    }


async def test_function_timeout_then_memory(moto: Moto, aredis: Redis, keys: Keys) -> None:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    role = moto.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    functions = moto.client("lambda")
    made = functions.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": _zip()},
        Timeout=3,
        MemorySize=128,
    )
    create = _supported(
        record(
            "lambda",
            "CreateFunction20150331",
            {
                "functionName": name,
                "runtime": "python3.12",
                "role": role["Role"]["Arn"],
                "handler": "index.handler",
                "code": {},
                "timeout": 3,
                "memorySize": 128,
                "publish": False,
                "packageType": "Zip",
            },
            _function_response(made),
        )
    )
    async with live_committer(moto, aredis, keys) as live:
        created = await committed(live, aredis, keys, create)
        assert created["data"]["configuration_source"] == "describe"
        after = functions.update_function_configuration(FunctionName=name, Timeout=30)
        first = await committed(
            live,
            aredis,
            keys,
            record(
                "lambda",
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": name, "timeout": 30},
                _function_response(after),
                at=1,
            ),
        )
        after = functions.update_function_configuration(FunctionName=name, MemorySize=256)
        second = await committed(
            live,
            aredis,
            keys,
            record(
                "lambda",
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": name, "memorySize": 256},
                _function_response(after),
                at=2,
            ),
        )
    data = first["data"]
    assert data["configuration_source"] == "describe"
    assert data["configuration"]["FunctionName"] == name
    assert data["configuration"]["Timeout"] == 30
    assert data["configuration"]["Policy"] is None
    assert data["changes"] == [{"op": "replace", "path": "/Timeout", "value": 30}]
    data = second["data"]
    assert data["previous_configuration"] == first["data"]["configuration"]
    assert data["changes"] == [{"op": "replace", "path": "/MemorySize", "value": 256}]


async def test_key_rotation_then_policy(moto: Moto, aredis: Redis, keys: Keys) -> None:
    kms = moto.client("kms")
    meta = kms.create_key(Description="orders")["KeyMetadata"]
    key_id, arn = meta["KeyId"], meta["Arn"]
    create = _supported(
        record(
            "kms",
            "CreateKey",
            {
                "description": "orders",
                "keyUsage": "ENCRYPT_DECRYPT",
                "keySpec": "SYMMETRIC_DEFAULT",
                "origin": "AWS_KMS",
                "bypassPolicyLockoutSafetyCheck": False,
                "multiRegion": False,
            },
            {
                "keyMetadata": {
                    "aWSAccountId": ACCOUNT,
                    "keyId": key_id,
                    "arn": arn,
                    "creationDate": "Dec 2, 2026, 8:00:00 PM",
                    "enabled": True,
                    "description": "orders",
                    "keyUsage": "ENCRYPT_DECRYPT",
                    "keyState": "Enabled",
                    "origin": "AWS_KMS",
                    "keyManager": "CUSTOMER",
                    "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
                    "keySpec": "SYMMETRIC_DEFAULT",
                    "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
                    "multiRegion": False,
                }
            },
        )
    )
    policy = {
        "Version": "2012-10-17",
        "Id": "key-orders",
        "Statement": [
            {
                "Sid": "Admin",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    async with live_committer(moto, aredis, keys) as live:
        created = await committed(live, aredis, keys, create)
        assert created["data"]["configuration"]["KeyRotationEnabled"] is False
        kms.enable_key_rotation(KeyId=key_id)
        first = await committed(
            live, aredis, keys, record("kms", "EnableKeyRotation", {"keyId": key_id}, at=1)
        )
        text = codec.dumps(policy).decode()
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=text)
        second = await committed(
            live,
            aredis,
            keys,
            record(
                "kms",
                "PutKeyPolicy",
                {
                    "keyId": key_id,
                    "policyName": "default",
                    "policy": text,
                    "bypassPolicyLockoutSafetyCheck": False,
                },
                at=2,
            ),
        )
    data = first["data"]
    assert data["configuration_source"] == "describe"
    assert data["configuration"]["KeyId"] == key_id
    assert data["configuration"]["KeyRotationEnabled"] is True
    assert data["changes"] == [{"op": "replace", "path": "/KeyRotationEnabled", "value": True}]
    data = second["data"]
    assert data["previous_configuration"] == first["data"]["configuration"]
    assert data["configuration"]["KeyPolicy"] == policy
    assert ops(data["changes"]) == {  # moto's default policy: same statement, other ids
        ("replace", "/KeyPolicy/Id"),
        ("replace", "/KeyPolicy/Statement/0/Sid"),
    }


async def test_queue_attributes_set_twice(moto: Moto, aredis: Redis, keys: Keys) -> None:
    sqs = moto.client("sqs")
    name = f"queue-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    aws_url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
    create = _supported(record("sqs", "CreateQueue", {"queueName": name}, {"queueUrl": aws_url}))

    def set_attributes(attributes: dict[str, str], at: int) -> dict[str, Any]:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        return record(
            "sqs", "SetQueueAttributes", {"queueUrl": aws_url, "attributes": attributes}, at=at
        )

    async with live_committer(moto, aredis, keys) as live:
        created = await committed(live, aredis, keys, create)
        assert created["data"]["configuration"]["VisibilityTimeout"] == "30"
        first = await committed(live, aredis, keys, set_attributes({"VisibilityTimeout": "60"}, 1))
        second = await committed(
            live, aredis, keys, set_attributes({"MessageRetentionPeriod": "86400"}, 2)
        )
    data = first["data"]
    assert data["configuration_source"] == "describe"
    assert data["configuration"]["VisibilityTimeout"] == "60"
    assert ops(data["changes"]) == {
        ("replace", "/VisibilityTimeout"),
        ("replace", "/LastModifiedTimestamp"),
    }
    data = second["data"]
    assert data["previous_configuration"] == first["data"]["configuration"]
    assert ops(data["changes"]) == {
        ("replace", "/MessageRetentionPeriod"),
        ("replace", "/LastModifiedTimestamp"),
    }


async def test_table_capacity_then_tags(moto: Moto, aredis: Redis, keys: Keys) -> None:
    dynamodb = moto.client("dynamodb")
    name = f"table-{uuid.uuid4().hex[:8]}"
    made = dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )["TableDescription"]
    arn = made["TableArn"]
    create = _supported(
        record(
            "dynamodb",
            "CreateTable",
            {
                "tableName": name,
                "attributeDefinitions": [{"attributeName": "pk", "attributeType": "S"}],
                "keySchema": [{"attributeName": "pk", "keyType": "HASH"}],
                "provisionedThroughput": {"readCapacityUnits": 1, "writeCapacityUnits": 1},
            },
            {
                "tableDescription": {
                    "tableName": name,
                    "tableArn": arn,
                    "tableId": made.get("TableId", "4f2c5b8a"),
                    "tableStatus": "CREATING",
                    "creationDateTime": "Dec 2, 2026, 8:00:00 PM",
                    "itemCount": 0,
                    "tableSizeBytes": 0,
                    "provisionedThroughput": {
                        "numberOfDecreasesToday": 0,
                        "readCapacityUnits": 1,
                        "writeCapacityUnits": 1,
                    },
                }
            },
        )
    )
    async with live_committer(moto, aredis, keys) as live:
        created = await committed(live, aredis, keys, create)
        assert created["data"]["configuration_source"] == "describe"
        dynamodb.update_table(
            TableName=name,
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 1},
        )
        first = await committed(
            live,
            aredis,
            keys,
            record(
                "dynamodb",
                "UpdateTable",
                {
                    "tableName": name,
                    "provisionedThroughput": {"readCapacityUnits": 5, "writeCapacityUnits": 1},
                },
                {
                    "tableDescription": {
                        "tableName": name,
                        "tableArn": arn,
                        "tableStatus": "UPDATING",
                    }
                },
                at=1,
            ),
        )
        dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "orders"}])
        second = await committed(
            live,
            aredis,
            keys,
            record(
                "dynamodb",
                "TagResource",
                {"resourceArn": arn, "tags": [{"key": "team", "value": "orders"}]},
                at=2,
            ),
        )
    data = first["data"]
    assert data["configuration_source"] == "describe"
    assert data["configuration"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert data["configuration"]["Tags"] == []
    throughput = "/ProvisionedThroughput"
    assert ops(data["changes"]) == {  # moto drops NumberOfDecreasesToday on update
        ("replace", f"{throughput}/ReadCapacityUnits"),
        ("remove", f"{throughput}/NumberOfDecreasesToday"),
    }
    data = second["data"]
    assert data["previous_configuration"] == first["data"]["configuration"]
    assert data["changes"] == [
        {"op": "add", "path": "/Tags/0", "value": {"Key": "team", "Value": "orders"}}
    ]


async def test_tagging_a_function_a_key_and_a_queue_is_patched(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    """Tags live outside these services' describe answers: read beside them, a tagging call's
    event names the tag added."""
    tag = uuid.uuid4().hex[:8]
    role = moto.client("iam").create_role(RoleName=f"tags-{tag}", AssumeRolePolicyDocument=TRUST)
    functions = moto.client("lambda")
    function_arn = functions.create_function(
        FunctionName=f"tags-{tag}",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": _zip()},
    )["FunctionArn"]
    kms = moto.client("kms")
    key_id = kms.create_key(Description="tags")["KeyMetadata"]["KeyId"]
    sqs = moto.client("sqs")
    url = sqs.create_queue(QueueName=f"tags-{tag}")["QueueUrl"]
    aws_url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/tags-{tag}"
    before = [
        record(
            "lambda",
            "PutFunctionConcurrency20171031",
            {"functionName": f"tags-{tag}", "reservedConcurrentExecutions": 5},
            {"reservedConcurrentExecutions": 5},
        ),
        record("kms", "EnableKeyRotation", {"keyId": key_id}),
        record(
            "sqs",
            "SetQueueAttributes",
            {"queueUrl": aws_url, "attributes": {"VisibilityTimeout": "30"}},
        ),
    ]
    tagging = [
        record(
            "lambda",
            "TagResource20170331v2",
            {"resource": function_arn, "tags": {"team": "orders"}},
            at=1,
        ),
        record(
            "kms",
            "TagResource",
            {"keyId": key_id, "tags": [{"tagKey": "team", "tagValue": "orders"}]},
            at=1,
        ),
        record("sqs", "TagQueue", {"queueUrl": aws_url, "tags": {"team": "orders"}}, at=1),
    ]
    functions.put_function_concurrency(FunctionName=f"tags-{tag}", ReservedConcurrentExecutions=5)
    kms.enable_key_rotation(KeyId=key_id)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "30"})
    async with live_committer(moto, aredis, keys) as live:
        first = [await committed(live, aredis, keys, _supported(r)) for r in before]
        functions.tag_resource(Resource=function_arn, Tags={"team": "orders"})
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "team", "TagValue": "orders"}])
        sqs.tag_queue(QueueUrl=url, Tags={"team": "orders"})
        tagged = [await committed(live, aredis, keys, _supported(r)) for r in tagging]
    assert [e["data"]["configuration"]["Tags"] for e in first] == [{}, [], {}]
    for event, previous in zip(tagged, first, strict=True):
        assert event["data"]["previous_configuration"] == previous["data"]["configuration"]
    assert [e["data"]["changes"] for e in tagged] == [
        [{"op": "add", "path": "/Tags/team", "value": "orders"}],
        [{"op": "add", "path": "/Tags/0", "value": {"TagKey": "team", "TagValue": "orders"}}],
        [{"op": "add", "path": "/Tags/team", "value": "orders"}],
    ]
