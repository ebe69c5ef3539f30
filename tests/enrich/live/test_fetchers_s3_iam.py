"""A bucket whose policy is set twice, and an IAM role whose inline policy is put twice, in
moto, each change with its CloudTrail record through the normalizer, the live stage and the
journal: described each time, the second change's patch names the statement that changed."""

from __future__ import annotations

import uuid
from typing import Any

from redis.asyncio import Redis

from eventstream import codec
from eventstream.enrich.live.describe import describers
from eventstream.journal.keys import Keys
from tests.aws.conftest import Moto
from tests.enrich.live.changes import ACCOUNT, committed, live_committer, ops, record
from tests.enrich.live.test_stage import _events


def _policy(resource: str, *actions: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": list(actions),
                "Resource": resource,
            }
        ],
    }


def _put_bucket_policy(bucket: str, policy: dict[str, Any], at: int) -> dict[str, Any]:
    return record(
        "s3",
        "PutBucketPolicy",
        {
            "bucketPolicy": policy,
            "bucketName": bucket,
            "Host": f"{bucket}.s3.amazonaws.com",
            "policy": [""],
        },
        at=at,
    )


async def test_bucket_policy_set_then_changed(moto: Moto, aredis: Redis, keys: Keys) -> None:
    s3 = moto.client("s3")
    bucket = f"bucket-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    create = record(
        "s3",
        "CreateBucket",
        {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "x-amz-acl": "private"},
    )
    [event] = _events(create)
    assert event["data"]["asset"]["type"] in describers()
    first_policy = _policy(f"arn:aws:s3:::{bucket}/*", "s3:GetObject")
    second_policy = _policy(f"arn:aws:s3:::{bucket}/*", "s3:GetObject", "s3:PutObject")
    async with live_committer(moto, aredis, keys) as live:
        created = await committed(live, aredis, keys, create)
        assert created["data"]["configuration_source"] == "describe"
        assert created["data"]["configuration"]["Policy"] is None
        s3.put_bucket_policy(Bucket=bucket, Policy=codec.dumps(first_policy).decode())
        first = await committed(live, aredis, keys, _put_bucket_policy(bucket, first_policy, 1))
        s3.put_bucket_policy(Bucket=bucket, Policy=codec.dumps(second_policy).decode())
        second = await committed(live, aredis, keys, _put_bucket_policy(bucket, second_policy, 2))
    data = first["data"]
    assert data["configuration_source"] == "describe"
    assert data["configuration"]["BucketName"] == bucket
    assert data["configuration"]["Policy"]["Statement"] == first_policy["Statement"]
    assert data["changes"] == [{"op": "replace", "path": "/Policy", "value": first_policy}]
    data = second["data"]
    assert data["previous_configuration"] == first["data"]["configuration"]
    assert ops(data["changes"]) == {("add", "/Policy/Statement/0/Action/1")}


TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _put_role_policy(role: str, document: dict[str, Any], at: int) -> dict[str, Any]:
    return record(
        "iam",
        "PutRolePolicy",
        {"policyDocument": codec.dumps(document).decode(), "policyName": "read", "roleName": role},
        at=at,
    )


async def test_role_inline_policy_put_then_changed(moto: Moto, aredis: Redis, keys: Keys) -> None:
    iam = moto.client("iam")
    role = f"role-{uuid.uuid4().hex[:8]}"
    made = iam.create_role(RoleName=role, AssumeRolePolicyDocument=codec.dumps(TRUST).decode())
    create = record(
        "iam",
        "CreateRole",
        {
            "assumeRolePolicyDocument": codec.dumps(TRUST).decode(),
            "path": "/",
            "roleName": role,
            "maxSessionDuration": 3600,
        },
        {
            "role": {
                "arn": made["Role"]["Arn"],
                "roleId": made["Role"]["RoleId"],
                "roleName": role,
                "path": "/",
                "createDate": "Dec 2, 2026, 8:00:00 PM",
                "assumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D",
            }
        },
    )
    [event] = _events(create)
    assert event["data"]["asset"]["type"] in describers()
    first_doc = _policy("*", "s3:GetObject")
    second_doc = _policy("*", "s3:ListBucket")
    async with live_committer(moto, aredis, keys) as live:
        created = await committed(live, aredis, keys, create)
        assert created["data"]["configuration_source"] == "describe"
        assert created["data"]["configuration"]["InlinePolicies"] == {}
        iam.put_role_policy(
            RoleName=role, PolicyName="read", PolicyDocument=codec.dumps(first_doc).decode()
        )
        first = await committed(live, aredis, keys, _put_role_policy(role, first_doc, 1))
        iam.put_role_policy(
            RoleName=role, PolicyName="read", PolicyDocument=codec.dumps(second_doc).decode()
        )
        second = await committed(live, aredis, keys, _put_role_policy(role, second_doc, 2))
    data = first["data"]
    assert data["configuration_source"] == "describe"
    assert data["configuration"]["RoleName"] == role
    assert data["configuration"]["AssumeRolePolicyDocument"] == TRUST
    assert data["configuration"]["InlinePolicies"] == {"read": first_doc}
    assert data["changes"] == [{"op": "add", "path": "/InlinePolicies/read", "value": first_doc}]
    data = second["data"]
    assert data["previous_configuration"] == first["data"]["configuration"]
    assert data["changes"] == [
        {
            "op": "replace",
            "path": "/InlinePolicies/read/Statement/0/Action/0",
            "value": "s3:ListBucket",
        }
    ]
