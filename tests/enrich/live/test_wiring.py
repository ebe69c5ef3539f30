"""`[describe] enabled = true`: the committing pipeline of serve, ingest and replay describes
each changed asset in moto before its commit, and closes its AWS clients when the run ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from eventstream import codec
from eventstream.config import Settings
from eventstream.journal.keys import Keys
from tests.aws.conftest import Moto
from tests.enrich.live import changes
from tests.enrich.live.test_stage import _record


async def _run(settings: Settings, path: Path, aredis: Redis, keys: Keys) -> list[Any]:
    return await changes.replayed(settings, path, aredis, keys)


async def test_replayed_record_is_described_when_enabled_and_not_otherwise(
    moto: Moto, aredis: Redis, keys: Keys, tmp_path: Path
) -> None:
    ec2 = moto.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    gid = ec2.create_security_group(GroupName="wired", Description="d", VpcId=vpc)["GroupId"]
    record = _record("AuthorizeSecurityGroupIngress", {"groupId": gid}, {"_return": True})
    path = tmp_path / "records.jsonl"
    path.write_bytes(codec.dumps(record) + b"\n")

    plain = await _run(Settings(), path, aredis, keys)
    assert plain[0]["data"]["configuration_source"] != "describe"

    other = Keys(prefix=keys.prefix + "d")
    settings = Settings.model_validate(
        {"describe": {"enabled": True, "endpoint_url": moto.endpoint, "timeout_s": 10}}
    )
    [event] = await _run(settings, path, aredis, other)
    assert event["data"]["configuration_source"] == "describe"
    assert event["data"]["configuration"]["GroupId"] == gid
