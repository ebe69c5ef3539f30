"""`inventory sync` over two accounts (moto's STS AssumeRole into the second) and two
regions, built from the settings as the command builds it."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
from redis.asyncio import Redis

from eventstream.config import Settings
from eventstream.enrich.sync.setup import inventory_sync
from eventstream.journal.keys import Keys
from tests.aws.conftest import Moto
from tests.serve.servers import RedisServer

HOME = "123456789012"
SECOND = "210987654321"
REGIONS = ("us-east-1", "eu-west-1")
TEMPLATE = "arn:aws:iam::{account_id}:role/EventStreamReader"


def _client(moto: Moto, service: str, region: str, account: str) -> Any:
    credentials: dict[str, str] = {}
    if account != HOME:
        got = boto3.client("sts", region_name=region, endpoint_url=moto.endpoint).assume_role(
            RoleArn=TEMPLATE.format(account_id=account), RoleSessionName="setup"
        )["Credentials"]
        credentials = {
            "aws_access_key_id": got["AccessKeyId"],
            "aws_secret_access_key": got["SecretAccessKey"],
            "aws_session_token": got["SessionToken"],
        }
    return boto3.client(service, region_name=region, endpoint_url=moto.endpoint, **credentials)


def _settings(moto: Moto, redis: RedisServer, keys: Keys) -> Settings:
    return Settings.model_validate(
        {
            "redis": {"url": redis.url, "key_prefix": keys.prefix},
            "describe": {"endpoint_url": moto.endpoint},
            "accounts": {
                "role_arn_template": TEMPLATE,
                "ids": [SECOND],
                "regions": list(REGIONS),
                "endpoint_url": moto.endpoint,
            },
            "sync": {"types": ["AWS::EC2::SecurityGroup", "AWS::S3::Bucket"]},
        }
    )


async def test_two_accounts_and_two_regions_are_synced_each_through_its_own_credentials(
    moto: Moto, redis_srv: RedisServer, aredis: Redis, keys: Keys
) -> None:
    expected: set[str] = set()
    for account in (HOME, SECOND):
        for region in REGIONS:
            ec2 = _client(moto, "ec2", region, account)
            ec2.create_security_group(GroupName=f"g-{uuid.uuid4().hex[:6]}", Description="d")
            for group in ec2.describe_security_groups()["SecurityGroups"]:
                assert group["OwnerId"] == account
                expected.add(f"aws/{account}/{region}/ec2/security-group/{group['GroupId']}")
        s3 = _client(moto, "s3", "us-east-1", account)
        s3.create_bucket(Bucket=f"b-{account}-{uuid.uuid4().hex[:6]}")
        for bucket in s3.list_buckets()["Buckets"]:  # what other tests made too
            expected.add(f"aws/{account}/global/s3/bucket/{bucket['Name']}")
    settings = _settings(moto, redis_srv, keys)
    async with inventory_sync(settings, redis=aredis, keys=keys, redis_url=redis_srv.url) as sync:
        assert {u.account for u in sync.units()} == {HOME, SECOND}
        first = await sync.run()
    async with inventory_sync(settings, redis=aredis, keys=keys, redis_url=redis_srv.url) as sync:
        second = await sync.run()
    listed: list[bytes] = await aredis.zrange(keys.asset_index, 0, -1)  # type: ignore[assignment]
    assert {n.decode() for n in listed} == expected
    assert first.units == 2 * 2 + 2  # groups per account and region, buckets per account
    assert first.units_failed == 0
    assert first.total().seeded == len(expected)
    assert second.total().unchanged == len(expected)
    assert second.total().seeded == 0
