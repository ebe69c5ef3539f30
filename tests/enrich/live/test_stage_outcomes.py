"""The live stage's outcomes against moto and the real journal: a delete confirmed by
NotFound, a create not visible yet retried, a burst of distinct changes described by one
call, one call in flight per asset across concurrent batches, throttling and access denied
counted per service without stalling, and no credentials: described nothing, said once.

The wrappers below are narrow test doubles of the `Fetcher` protocol around the real
describer, for what moto cannot do (throttle, deny, lag behind a create)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.describe import describer
from eventstream.enrich.live.outcome import Clients, Failed, Fetcher, Missing, Outcome, Target
from eventstream.enrich.live.stage import LiveCommitter
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from tests.aws.conftest import Moto
from tests.enrich.live.changes import committed, live_committer, record
from tests.enrich.live.test_stage import _events, _journaled

SG = "AWS::EC2::SecurityGroup"


class Scripted:
    """Answers the scripted outcomes first (one per call), then delegates to the describer;
    tracks the calls in flight per asset and the most ever seen at once."""

    def __init__(self, *first: Outcome, hold_s: float = 0.0) -> None:
        self.inner = describer()
        self.script = list(first)
        self.hold_s = hold_s  # widens the window in which a second call could overlap
        self.calls = 0
        self.in_flight: dict[Target, int] = {}
        self.most_in_flight = 0

    def supports(self, asset_type: str) -> bool:
        return self.inner.supports(asset_type)

    async def fetch(self, target: Target, clients: Clients) -> Outcome:
        self.calls += 1
        self.in_flight[target] = self.in_flight.get(target, 0) + 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight[target])
        try:
            if self.hold_s:
                await asyncio.sleep(self.hold_s)
            if self.script:
                return self.script.pop(0)
            return await self.inner.fetch(target, clients)
        finally:
            self.in_flight[target] -= 1


def _group(moto: Moto) -> str:
    ec2 = moto.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    made = ec2.create_security_group(
        GroupName=f"g-{uuid.uuid4().hex[:8]}", Description="web", VpcId=vpc
    )
    return str(made["GroupId"])


def _create_group(gid: str) -> dict[str, Any]:
    return record(
        "ec2",
        "CreateSecurityGroup",
        {"groupName": "web", "groupDescription": "web", "vpcId": "vpc-1"},
        {"requestId": "0c897921-eded-4cdf-ac2a-c0e5ed5f397d", "_return": True, "groupId": gid},
    )


def _ingress(gid: str, port: int, at: int = 0) -> dict[str, Any]:
    """AuthorizeSecurityGroupIngress as CloudTrail writes it (request and rule set)."""
    cidr = "203.0.113.0/24"
    return record(
        "ec2",
        "AuthorizeSecurityGroupIngress",
        {
            "groupId": gid,
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": port,
                        "toPort": port,
                        "groups": {},
                        "ipRanges": {"items": [{"cidrIp": cidr}]},
                        "ipv6Ranges": {},
                        "prefixListIds": {},
                    }
                ]
            },
        },
        {
            "requestId": str(uuid.uuid4()),
            "_return": True,
            "securityGroupRuleSet": {
                "items": [
                    {
                        "groupId": gid,
                        "groupOwnerId": "123456789012",
                        "securityGroupRuleId": f"sgr-{uuid.uuid4().hex[:17]}",
                        "isEgress": False,
                        "ipProtocol": "tcp",
                        "fromPort": port,
                        "toPort": port,
                        "cidrIpv4": cidr,
                    }
                ]
            },
        },
        at=at,
    )


def _authorize(moto: Moto, gid: str, port: int) -> None:
    moto.client("ec2").authorize_security_group_ingress(
        GroupId=gid, IpProtocol="tcp", FromPort=port, ToPort=port, CidrIp="203.0.113.0/24"
    )


async def test_delete_confirmed_by_not_found(moto: Moto, aredis: Redis, keys: Keys) -> None:
    gid = _group(moto)
    moto.client("ec2").delete_security_group(GroupId=gid)
    delete = record("ec2", "DeleteSecurityGroup", {"groupId": gid}, {"_return": True})
    async with live_committer(moto, aredis, keys) as live:
        event = await committed(live, aredis, keys, delete)
    assert event["data"]["change"]["action"] == "delete"
    assert event["data"]["configuration"] is None
    assert event["data"]["configuration_source"] == "none"
    assert live.counters.calls["ec2"] == 1  # NotFound after a delete is not retried
    assert live.counters.counts[("ec2", "confirmed_delete")] == 1
    assert live.counters.counts[("ec2", "missing")] == 1


async def test_create_not_visible_yet_is_retried(moto: Moto, aredis: Redis, keys: Keys) -> None:
    gid = _group(moto)
    lagging = Scripted(Missing("InvalidGroup.NotFound"))
    async with live_committer(moto, aredis, keys, {SG: lagging}) as live:
        event = await committed(live, aredis, keys, _create_group(gid))
    assert lagging.calls == 2
    assert live.counters.calls["ec2"] == 2
    assert event["data"]["configuration_source"] == "describe"
    assert event["data"]["configuration"]["GroupId"] == gid
    assert live.counters.counts[("ec2", "found")] == 1
    assert live.counters.counts[("ec2", "missing")] == 0


async def test_burst_of_distinct_changes_is_one_call(moto: Moto, aredis: Redis, keys: Keys) -> None:
    gid = _group(moto)
    ports = [8000 + n for n in range(10)]
    for port in ports:
        _authorize(moto, gid, port)
    records = [_ingress(gid, port, at=n) for n, port in enumerate(ports)]
    assert len({r["eventID"] for r in records}) == 10
    events = [e for r in records for e in _events(r)]
    async with live_committer(moto, aredis, keys) as live:
        result = await live.commit(events)
    assert live.counters.calls["ec2"] == 1
    journaled = await _journaled(aredis, keys, result.ids)
    assert len(journaled) == 10
    assert {e["id"] for e in journaled} == {e["id"] for e in events}
    for event in journaled:
        data = event["data"]
        assert data["configuration_source"] == "describe"
        assert sorted(p["FromPort"] for p in data["configuration"]["IpPermissions"]) == ports


async def test_concurrent_batches_never_have_two_calls_in_flight_for_one_asset(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    gid = _group(moto)
    _authorize(moto, gid, 22)
    watched = Scripted(hold_s=0.2)
    async with live_committer(moto, aredis, keys, {SG: watched}) as live:
        # two batches at once: the second is received before the call starts, and shares it
        both = [_events(_ingress(gid, 22, at=1)), _events(_ingress(gid, 22, at=2))]
        results = list(await asyncio.gather(*(live.commit(batch) for batch in both)))
        assert watched.calls == 1
        # a batch received while a call is in flight waits for it, then makes its own
        first = asyncio.ensure_future(live.commit(_events(_ingress(gid, 443, at=3))))
        for _ in range(500):  # until the first batch's call is in flight (bounded)
            if any(watched.in_flight.values()):
                break
            await asyncio.sleep(0.01)
        assert any(watched.in_flight.values())
        _authorize(moto, gid, 443)
        later = live.commit(_events(_ingress(gid, 443, at=4)))
        results += await asyncio.gather(first, later)
    assert watched.calls == 3
    assert watched.most_in_flight == 1
    journaled = await _journaled(aredis, keys, [i for r in results for i in r.ids])
    assert len(journaled) == 4
    assert all(e["data"]["configuration_source"] == "describe" for e in journaled)
    ports = [
        sorted(p["FromPort"] for p in e["data"]["configuration"]["IpPermissions"])
        for e in journaled
    ]
    assert ports[3] == [22, 443]  # described after the change it reports


async def test_throttling_is_counted_retried_and_never_stalls(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    gid = _group(moto)
    throttled = Scripted(Failed("ec2", "throttled"), Failed("ec2", "throttled"))
    async with live_committer(moto, aredis, keys, {SG: throttled}) as live:
        event = await committed(live, aredis, keys, _ingress(gid, 22))
    assert event["data"]["configuration_source"] == "describe"
    assert live.counters.counts[("ec2", "throttled")] == 2  # each throttled answer
    assert live.counters.counts[("ec2", "found")] == 1
    assert live.counters.calls["ec2"] == 3

    always = Scripted(*[Failed("ec2", "throttled")] * 50)
    async with live_committer(moto, aredis, keys, {SG: always}, timeout_s=1.0) as live:
        [plain] = _events(_ingress(gid, 22, at=1))
        result = await asyncio.wait_for(live.commit([plain]), timeout=5.0)
    [journaled] = await _journaled(aredis, keys, result.ids)
    assert journaled["data"]["configuration_source"] == plain["data"]["configuration_source"]
    assert live.counters.counts[("ec2", "throttled")] == always.calls
    assert 1 <= always.calls <= 4  # max_attempts


async def test_access_denied_is_counted_per_service_and_not_retried(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    gid = _group(moto)
    denied = Scripted(Failed("ec2", "access_denied"))
    async with live_committer(moto, aredis, keys, {SG: denied}) as live:
        [plain] = _events(_ingress(gid, 22))
        result = await asyncio.wait_for(live.commit([plain]), timeout=5.0)
    [journaled] = await _journaled(aredis, keys, result.ids)
    assert journaled["data"]["configuration_source"] == plain["data"]["configuration_source"]
    assert journaled["data"]["configuration"] == plain["data"]["configuration"]
    assert dict(live.counters.counts) == {("ec2", "access_denied"): 1}
    assert live.counters.calls == {"ec2": 1}


async def test_without_credentials_the_batch_commits_and_describing_stops(
    moto: Moto,
    aredis: Redis,
    keys: Keys,
    *,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gid = _group(moto)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        empty = tmp_path / name.lower()
        empty.write_text("")
        monkeypatch.setenv(name, str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    clients = DefaultClients(moto.endpoint)
    fetchers: dict[str, Fetcher] = {SG: describer()}
    live = LiveCommitter(Committer(aredis, keys), fetchers, clients, timeout_s=10)
    caplog.set_level(logging.WARNING, logger="eventstream.enrich.live.stage")
    try:
        first = [e for r in (_ingress(gid, 22), _create_group(gid)) for e in _events(r)]
        result = await asyncio.wait_for(live.commit(first), timeout=15.0)
        calls = live.counters.calls["ec2"]
        again = _events(_ingress(gid, 443, at=1))
        later = await asyncio.wait_for(live.commit(again), timeout=15.0)
    finally:
        await clients.close()
    journaled = await _journaled(aredis, keys, [*result.ids, *later.ids])
    assert len(journaled) == 3
    sent = [*first, *again]
    for event, original in zip(journaled, sent, strict=True):
        assert event["data"]["configuration_source"] == original["data"]["configuration_source"]
        assert event["data"]["configuration_source"] in ("none", "event")
    assert calls == 1
    assert live.counters.calls["ec2"] == calls  # off after the first answer
    assert live.counters.counts[("ec2", "no_credentials")] == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "no AWS credentials" in warnings[0].getMessage()
