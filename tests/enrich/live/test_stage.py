"""LiveCommitter against moto (server mode) and the real journal committer on redis-server."""

from __future__ import annotations

import uuid
from typing import Any

from redis.asyncio import Redis

from eventstream import codec
from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.describe import describers
from eventstream.enrich.live.stage import LiveCommitter
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from tests.aws.conftest import Moto

ACCOUNT = "123456789012"


def _record(name: str, request: dict[str, Any], response: Any = None) -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventID": str(uuid.uuid4()),
        "eventTime": "2026-12-02T20:00:00Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2",
        "userIdentity": {
            "type": "IAMUser",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
            "accountId": ACCOUNT,
        },
        "recipientAccountId": ACCOUNT,
        "eventType": "AwsApiCall",
        "requestParameters": request,
        "responseElements": response,
    }


def _events(record: dict[str, Any]) -> list[dict[str, Any]]:
    result = Normalizer(default_registry()).normalize(record)
    return [codec.loads(codec.dumps(e)) for e in result.events]


async def _journaled(aredis: Redis, keys: Keys, ids: list[str]) -> list[dict[str, Any]]:
    out = []
    for entry_id in ids:
        rows: Any = await aredis.xrange(keys.journal, entry_id, entry_id)
        fields = rows[0][1]
        out.append(codec.loads(next(v for k, v in fields.items() if k in (b"event", "event"))))
    return out


async def test_security_group_describe_then_rule_change(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    ec2 = moto.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName=f"g{uuid.uuid4().hex[:6]}", Description="d", VpcId=vpc)
    gid = sg["GroupId"]
    clients = DefaultClients(moto.endpoint)
    live = LiveCommitter(Committer(aredis, keys), describers(), clients, timeout_s=10)
    try:
        create = _record(
            "CreateSecurityGroup",
            {"groupName": "g", "groupDescription": "d", "vpcId": vpc},
            {"_return": True, "groupId": gid},
        )
        first = await live.commit(_events(create))
        [event] = await _journaled(aredis, keys, first.ids)
        assert event["data"]["configuration_source"] == "describe"
        assert event["data"]["configuration"]["GroupId"] == gid
        ec2.authorize_security_group_ingress(
            GroupId=gid, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="203.0.113.0/24"
        )
        change = _record("AuthorizeSecurityGroupIngress", {"groupId": gid}, {"_return": True})
        burst = [e for _ in range(10) for e in _events(change)]
        calls_before = live.counters.calls["ec2"]
        second = await live.commit(burst)
        assert live.counters.calls["ec2"] - calls_before == 1  # one describe for the burst
        journaled = await _journaled(aredis, keys, second.ids[:1])
        data = journaled[0]["data"]
        assert data["previous_configuration"]["IpPermissions"] == []
        paths = {op["path"] for op in data["changes"]}
        assert any(p.startswith("/IpPermissions") for p in paths), data["changes"]
        assert "203.0.113.0/24" in codec.dumps(data["changes"]).decode()
    finally:
        await clients.close()


class _Raising:
    """A fetcher with a bug: it raises instead of answering an Outcome."""

    def supports(self, asset_type: str) -> bool:
        return True

    async def fetch(self, target: Any, clients: Any) -> Any:
        raise ValueError("unexpected answer")


async def test_a_fetcher_that_raises_is_counted_as_an_error_and_the_event_goes_on(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    clients = DefaultClients(moto.endpoint)
    [event] = _events(_record("AuthorizeSecurityGroupIngress", {"groupId": "sg-1"}, {}))
    live = LiveCommitter(
        Committer(aredis, keys), {event["data"]["asset"]["type"]: _Raising()}, clients
    )
    try:
        result = await live.commit([event])
    finally:
        await clients.close()
    [journaled] = await _journaled(aredis, keys, result.ids)
    assert journaled["data"]["configuration_source"] == event["data"]["configuration_source"]
    assert live.counters.counts[("ec2", "error")] == 1
    assert live.counters.counts[("ec2", "timeout")] == 0
