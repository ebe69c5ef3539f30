"""The inventory sync against moto's server mode over HTTP and a real redis-server: seeding,
rerunning without duplicates, resuming after an interruption, drift, and the first change of
a synced asset getting its previous configuration."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from eventstream import codec
from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.describe import describer, describers
from eventstream.enrich.live.stage import LiveCommitter
from eventstream.enrich.sync.run import InventorySync, SyncProgress, SyncSummary
from eventstream.errors import SyncError
from eventstream.journal.assets import AssetStore
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from tests.aws.conftest import Moto
from tests.enrich.live import changes

ACCOUNT = "123456789012"  # moto's default account
REGIONS = ("us-east-1", "eu-west-1")
TYPES = (
    "AWS::EC2::SecurityGroup",
    "AWS::S3::Bucket",
    "AWS::IAM::Role",
    "AWS::SQS::Queue",
    "AWS::DynamoDB::Table",
    "AWS::KMS::Key",
)
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:*"}
    ],
}


def _client(moto: Moto, service: str, region: str = "us-east-1") -> Any:
    import boto3  # noqa: PLC0415

    return boto3.client(service, region_name=region, endpoint_url=moto.endpoint)


def _scene(moto: Moto) -> dict[str, str]:
    """Resources in two regions; returns what the test looks for, by role."""
    tag = uuid.uuid4().hex[:8]
    ec2 = _client(moto, "ec2")
    group = ec2.create_security_group(GroupName=f"web-{tag}", Description="web")["GroupId"]
    ec2_eu = _client(moto, "ec2", "eu-west-1")
    group_eu = ec2_eu.create_security_group(GroupName=f"db-{tag}", Description="db")["GroupId"]
    s3 = _client(moto, "s3")
    bucket = f"logs-{tag}"
    s3.create_bucket(Bucket=bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=codec.dumps(policy).decode())
    iam = _client(moto, "iam")
    role = f"reader-{tag}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=codec.dumps(TRUST).decode())
    inline = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}],
    }
    iam.put_role_policy(
        RoleName=role, PolicyName="read", PolicyDocument=codec.dumps(inline).decode()
    )
    queue = f"jobs-{tag}"
    _client(moto, "sqs", "eu-west-1").create_queue(QueueName=queue)
    table = f"orders-{tag}"
    _client(moto, "dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    key = _client(moto, "kms").create_key(Description="data")["KeyMetadata"]["KeyId"]
    return {
        "group": group,
        "group_eu": group_eu,
        "bucket": bucket,
        "role": role,
        "queue": queue,
        "table": table,
        "key": key,
    }


def _sync(
    redis: Redis,
    keys: Keys,
    clients: DefaultClients,
    *,
    grace_s: float = 0.0,
    dry_run: bool = False,
    types: tuple[str, ...] = TYPES,
    on_progress: Callable[[SyncProgress], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> InventorySync:
    return InventorySync(
        redis=redis,
        keys=keys,
        committer=Committer(redis, keys),
        clients=clients,
        fetcher=describer(),
        registry=default_registry(),
        accounts=[ACCOUNT],
        regions=list(REGIONS),
        types=list(types),
        grace_s=grace_s,
        dry_run=dry_run,
        on_progress=on_progress,
        clock=clock,
    )


async def _inventory(redis: Redis, keys: Keys) -> dict[str, dict[str, Any]]:
    """Every asset the inventory holds: name → `GET /v1/assets/{name}`'s document."""
    listed: list[bytes] = await redis.zrange(keys.asset_index, 0, -1)  # type: ignore[assignment]
    names = [n.decode() for n in listed]
    store = AssetStore(redis, keys)
    found: dict[str, dict[str, Any]] = {}
    for name in names:
        state = await store.get(name)
        assert state is not None, name
        found[name] = codec.loads(codec.dumps(state.document()))
    return found


def _named(inventory: dict[str, dict[str, Any]], suffix: str) -> dict[str, Any]:
    [name] = [n for n in inventory if n.endswith("/" + suffix)]
    return inventory[name]


def _groups_in_moto(moto: Moto) -> set[str]:
    """Every security group moto has in both regions (listed with boto3, independently)."""
    found = set()
    for region in REGIONS:
        for group in _client(moto, "ec2", region).describe_security_groups()["SecurityGroups"]:
            found.add(f"aws/{ACCOUNT}/{region}/ec2/security-group/{group['GroupId']}")
    return found


def _record(
    name: str, source: str, request: dict[str, Any], *, at: float | None = None
) -> dict[str, Any]:
    """A record of a call made at `at`, by default now (after the sync that seeded the asset:
    CloudTrail times are whole seconds, so one second later)."""
    later = dt.datetime.fromtimestamp(at if at is not None else time.time(), dt.UTC)
    later += dt.timedelta(seconds=1)
    made = changes.record(source.removesuffix(".amazonaws.com"), name, request, {"_return": True})
    return {**made, "eventTime": later.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _events(record: dict[str, Any]) -> list[dict[str, Any]]:
    result = Normalizer(default_registry()).normalize(record)
    return [codec.loads(codec.dumps(e)) for e in result.events]


async def _journal(redis: Redis, keys: Keys) -> list[dict[str, Any]]:
    rows: Any = await redis.xrange(keys.journal)
    return [codec.loads(fields[b"event"]) for _, fields in rows]


async def test_sync_seeds_every_resource_in_two_regions_without_journaling(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    scene = _scene(moto)
    clients = DefaultClients(moto.endpoint)
    try:
        summary = await _sync(aredis, keys, clients).run()
    finally:
        await clients.close()
    inventory = await _inventory(aredis, keys)
    # Every security group moto has, in both regions, and nothing else of that type.
    groups = {n for n in inventory if "/ec2/security-group/" in n}
    assert groups == _groups_in_moto(moto)
    group = inventory[f"aws/{ACCOUNT}/us-east-1/ec2/security-group/{scene['group']}"]
    assert group["configuration"]["GroupName"].startswith("web-")
    assert f"aws/{ACCOUNT}/eu-west-1/ec2/security-group/{scene['group_eu']}" in inventory
    bucket = _named(inventory, scene["bucket"])
    assert bucket["asset"]["region"] == "global"
    statement = bucket["configuration"]["Policy"]["Statement"][0]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    role = _named(inventory, scene["role"])
    [inline] = role["configuration"]["InlinePolicies"]["read"]["Statement"]
    assert inline["Action"] == "s3:Get*"
    assert _named(inventory, scene["queue"])["asset"]["region"] == "eu-west-1"
    assert _named(inventory, scene["table"])["configuration"]["TableName"] == scene["table"]
    assert _named(inventory, scene["key"])["configuration"]
    for document in inventory.values():
        assert document["version"] == 1
        assert document["last_action"] == "update"
    assert await aredis.xlen(keys.journal) == 0  # seeds are not journaled
    total = summary.total()
    assert total.seeded == len(inventory) == total.listed
    assert total.failed == total.drifted == 0
    assert summary.by_type["AWS::IAM::Role"].described >= 1  # IAM is described one by one
    assert summary.by_type["AWS::EC2::SecurityGroup"].described == 0  # the list describes


async def test_seeded_names_are_the_names_events_give_and_the_first_change_has_a_previous(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    scene = _scene(moto)
    clients = DefaultClients(moto.endpoint)
    try:
        await _sync(aredis, keys, clients, types=("AWS::EC2::SecurityGroup",)).run()
        ec2 = _client(moto, "ec2")
        ec2.authorize_security_group_ingress(
            GroupId=scene["group"],
            IpProtocol="tcp",
            FromPort=443,
            ToPort=443,
            CidrIp="203.0.113.0/24",
        )
        record = _record(
            "AuthorizeSecurityGroupIngress", "ec2.amazonaws.com", {"groupId": scene["group"]}
        )
        live = LiveCommitter(Committer(aredis, keys), describers(), clients, timeout_s=10)
        result = await live.commit(_events(record))
    finally:
        await clients.close()
    [event] = await _journal(aredis, keys)
    assert result.journaled == 1
    assert event["subject"] == f"aws/{ACCOUNT}/us-east-1/ec2/security-group/{scene['group']}"
    data = event["data"]
    assert data["previous_configuration"]["IpPermissions"] == []  # from the sync
    assert data["configuration_source"] == "describe"
    [added] = [op for op in data["changes"] if op["path"].startswith("/IpPermissions")]
    assert added["op"] == "add"
    assert added["value"]["FromPort"] == 443
    assert added["value"]["IpRanges"][0]["CidrIp"] == "203.0.113.0/24"


async def test_a_rerun_changes_nothing_and_an_interrupted_sync_resumes_without_duplicates(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    _scene(moto)
    clients = DefaultClients(moto.endpoint)
    stopped: list[SyncProgress] = []
    task: asyncio.Task[SyncSummary] | None = None

    def interrupt(progress: SyncProgress) -> None:
        if progress.units_done == 3 and task is not None and not stopped:
            stopped.append(progress)
            task.cancel()  # as SIGTERM does in `eventstream inventory sync`

    try:
        task = asyncio.ensure_future(_sync(aredis, keys, clients, on_progress=interrupt).run())
        with pytest.raises(asyncio.CancelledError):
            await task
        assert stopped
        assert await aredis.exists(keys.sync_progress)  # kept for the next run
        assert not await aredis.exists(keys.sync_lock)  # released on the way out
        partial = await _inventory(aredis, keys)
        resumed = await _sync(aredis, keys, clients).run()
        assert resumed.resumed
        assert resumed.units_resumed == 3
        complete = await _inventory(aredis, keys)
        assert set(partial) < set(complete)
        assert all(doc["version"] == 1 for doc in complete.values())  # no duplicates
        assert not await aredis.exists(keys.sync_progress)  # finished
        again = await _sync(aredis, keys, clients).run()
    finally:
        await clients.close()
    assert not again.resumed
    assert again.total().unchanged == len(complete)
    assert again.total().seeded == 0
    assert await _inventory(aredis, keys) == complete
    assert await aredis.xlen(keys.journal) == 0


async def test_a_change_made_without_a_record_is_reported_as_drift_with_its_patch(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    scene = _scene(moto)
    clients = DefaultClients(moto.endpoint)
    types = ("AWS::EC2::SecurityGroup", "AWS::SQS::Queue")
    try:
        await _sync(aredis, keys, clients, types=types).run()
        _client(moto, "ec2").authorize_security_group_ingress(
            GroupId=scene["group"], IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="10.0.0.0/8"
        )
        sqs = _client(moto, "sqs", "eu-west-1")
        url = sqs.get_queue_url(QueueName=scene["queue"])["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "120"})
        summary = await _sync(aredis, keys, clients, types=types).run()
        again = await _sync(aredis, keys, clients, types=types).run()
    finally:
        await clients.close()
    assert summary.total().drifted == 2
    events = {e["subject"].rsplit("/", 1)[-1]: e for e in await _journal(aredis, keys)}
    assert set(events) == {scene["group"], scene["queue"]}
    drift = events[scene["group"]]
    assert drift["type"].endswith(".asset.update")
    data = drift["data"]
    assert data["change"]["operation"] == "Drift"
    assert data["attribution"]["method"] == "unknown"
    assert data["attribution"]["principal"]["arn"] is None
    assert data["configuration_source"] == "sync"
    [added] = data["changes"]
    assert added["op"] == "add"
    assert added["path"] == "/IpPermissions/0"
    assert added["value"]["IpRanges"][0]["CidrIp"] == "10.0.0.0/8"
    queue = events[scene["queue"]]["data"]
    changed = {op["path"]: op for op in queue["changes"]}
    assert changed.keys() == {"/VisibilityTimeout", "/LastModifiedTimestamp"}
    assert changed["/VisibilityTimeout"] == {
        "op": "replace",
        "path": "/VisibilityTimeout",
        "value": "120",
    }
    assert again.total().drifted == 0  # reported once
    assert await aredis.xlen(keys.journal) == 2


async def test_drift_waits_out_the_grace_time_and_an_event_in_between_explains_it(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    scene = _scene(moto)
    clients = DefaultClients(moto.endpoint)
    now = [time.time()]
    types = ("AWS::EC2::SecurityGroup",)

    def sync() -> InventorySync:
        return _sync(aredis, keys, clients, types=types, grace_s=600, clock=lambda: now[0])

    ec2 = _client(moto, "ec2")
    try:
        await sync().run()
        ec2.authorize_security_group_ingress(
            GroupId=scene["group"], IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="0.0.0.0/0"
        )
        first = await sync().run()
        now[0] += 300
        early = await sync().run()
        now[0] += 301
        late = await sync().run()
        # A second drift, then the record of that change arrives before the grace time ends.
        ec2.authorize_security_group_ingress(
            GroupId=scene["group"], IpProtocol="tcp", FromPort=81, ToPort=81, CidrIp="0.0.0.0/0"
        )
        suspected = await sync().run()
        now[0] += 60  # the call's record arrives, within the grace time
        record = _record(
            "AuthorizeSecurityGroupIngress",
            "ec2.amazonaws.com",
            {"groupId": scene["group"]},
            at=now[0] - 30,
        )
        live = LiveCommitter(Committer(aredis, keys), describers(), clients, timeout_s=10)
        await live.commit(_events(record))
        name = f"aws/{ACCOUNT}/us-east-1/ec2/security-group/{scene['group']}"
        assert await aredis.hexists(keys.sync_suspects, name)
        now[0] += 601
        after_event = await sync().run()
        assert not await aredis.hexists(keys.sync_suspects, name)
    finally:
        await clients.close()
    assert (first.total().suspected, first.total().drifted) == (1, 0)
    assert (early.total().suspected, early.total().drifted) == (1, 0)
    assert late.total().drifted == 1
    assert suspected.total().suspected == 1
    assert after_event.total().drifted == 0
    assert after_event.total().unchanged >= 1
    operations = [e["data"]["change"]["operation"] for e in await _journal(aredis, keys)]
    assert operations == ["Drift", "AuthorizeSecurityGroupIngress"]


async def test_an_event_without_configuration_explains_a_difference(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    scene = _scene(moto)
    clients = DefaultClients(moto.endpoint)
    types = ("AWS::EC2::SecurityGroup",)
    try:
        await _sync(aredis, keys, clients, types=types).run()
        _client(moto, "ec2").authorize_security_group_ingress(
            GroupId=scene["group"], IpProtocol="tcp", FromPort=25, ToPort=25, CidrIp="0.0.0.0/0"
        )
        record = _record(
            "AuthorizeSecurityGroupIngress", "ec2.amazonaws.com", {"groupId": scene["group"]}
        )
        await Committer(aredis, keys).commit(_events(record))  # no describe: no configuration
        summary = await _sync(aredis, keys, clients, types=types).run()
    finally:
        await clients.close()
    assert summary.total().refreshed == 1
    assert summary.total().drifted == 0
    assert await aredis.xlen(keys.journal) == 1  # only the record's event
    inventory = await _inventory(aredis, keys)
    group = inventory[f"aws/{ACCOUNT}/us-east-1/ec2/security-group/{scene['group']}"]
    assert group["version"] == 3
    assert group["configuration"]["IpPermissions"][0]["FromPort"] == 25


async def test_a_dry_run_writes_nothing_and_one_sync_runs_at_a_time(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    _scene(moto)
    clients = DefaultClients(moto.endpoint)
    try:
        dry = await _sync(aredis, keys, clients, dry_run=True).run()
        assert dry.total().seeded == dry.total().listed > 0
        assert await aredis.keys(f"{keys.tag}*") == []
        await aredis.set(keys.sync_lock, "another-process")
        with pytest.raises(SyncError, match="another inventory sync is running"):
            await _sync(aredis, keys, clients).run()
    finally:
        await clients.close()
    assert await aredis.zcard(keys.asset_index) == 0


class _Slow:
    """The real describer, 2.5 s slower per call (a unit that outlasts the lock's TTL)."""

    def __init__(self) -> None:
        self.inner = describer()

    def supports(self, asset_type: str) -> bool:
        return self.inner.supports(asset_type)

    async def fetch(self, target: Any, clients: Any) -> Any:
        await asyncio.sleep(2.5)
        return await self.inner.fetch(target, clients)


async def test_the_lock_is_held_while_a_long_unit_runs(
    moto: Moto, aredis: Redis, keys: Keys
) -> None:
    _scene(moto)
    clients = DefaultClients(moto.endpoint)
    sync = InventorySync(
        redis=aredis,
        keys=keys,
        committer=Committer(aredis, keys),
        clients=clients,
        fetcher=_Slow(),
        registry=default_registry(),
        accounts=[ACCOUNT],
        regions=["us-east-1"],
        types=["AWS::KMS::Key"],  # described one by one, each call slow
        concurrency=1,
        lock_ttl_s=0.6,
    )
    try:
        task = asyncio.ensure_future(sync.run())
        held = []
        for _ in range(8):  # 2 s, over three TTLs, while the one unit runs
            await asyncio.sleep(0.25)
            held.append(await aredis.exists(keys.sync_lock))
        assert not task.done()
        summary = await task
    finally:
        await clients.close()
    assert all(held), held
    assert summary.by_type["AWS::KMS::Key"].seeded >= 1
    assert not await aredis.exists(keys.sync_lock)


def test_unknown_types_are_refused_with_the_supported_list(aredis: Redis, keys: Keys) -> None:
    with pytest.raises(SyncError, match="cannot list AWS::Nope::Thing"):
        InventorySync(
            redis=aredis,
            keys=keys,
            committer=Committer(aredis, keys),
            clients=DefaultClients(None),
            fetcher=describer(),
            registry=default_registry(),
            accounts=[ACCOUNT],
            regions=["us-east-1"],
            types=["AWS::Nope::Thing"],
        )
