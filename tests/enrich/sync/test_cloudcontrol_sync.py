"""Types without an explicit lister, synced through Cloud Control (`ListResources`, then
`GetResource`) against the local Cloud Control server that speaks its JSON protocol."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from eventstream import codec
from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.describe import describer
from eventstream.enrich.sync.run import InventorySync
from eventstream.journal.assets import AssetStore
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from tests.aws.cloudcontrol import FakeCloudControl, cloudcontrol_server
from tests.enrich.live import changes

ACCOUNT = "123456789012"
REGION = "us-east-1"
LOG_GROUP = "AWS::Logs::LogGroup"
RULE = "AWS::Events::Rule"


@pytest.fixture
async def fake(aws_env: None) -> Any:
    async with cloudcontrol_server(FakeCloudControl()) as served:
        yield served


def _sync(redis: Redis, keys: Keys, clients: DefaultClients) -> InventorySync:
    return InventorySync(
        redis=redis,
        keys=keys,
        committer=Committer(redis, keys),
        clients=clients,
        fetcher=describer(),
        registry=default_registry(),
        accounts=[ACCOUNT],
        regions=[REGION],
        types=[LOG_GROUP, RULE],
        grace_s=0,
    )


def _subject(source: str, name: str, request: dict[str, Any], response: Any) -> str:
    """The asset name the normalizer gives the record's asset."""
    record = changes.record(source.removesuffix(".amazonaws.com"), name, request, response)
    [event] = Normalizer(default_registry()).normalize(record).events
    return str(event["subject"])


async def test_cloud_control_types_are_listed_read_and_named_as_their_events_name_them(
    fake: FakeCloudControl, aredis: Redis, keys: Keys
) -> None:
    for index in range(3):  # over two ListResources pages
        name = f"/app/service-{index}"
        fake.put(LOG_GROUP, name, {"LogGroupName": name, "RetentionInDays": 7})
    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/nightly"
    fake.put(RULE, rule_arn, {"Arn": rule_arn, "Name": "nightly", "State": "ENABLED"})
    clients = DefaultClients(fake.endpoint)
    try:
        summary = await _sync(aredis, keys, clients).run()
        pages = len(fake.asked("ListResources"))
        fake.put(LOG_GROUP, "/app/service-0", {"LogGroupName": "/app/service-0"})
        drift = await _sync(aredis, keys, clients).run()
    finally:
        await clients.close()
    assert summary.by_type[LOG_GROUP].seeded == 3
    assert summary.by_type[LOG_GROUP].described == 3  # each read with GetResource
    assert summary.by_type[RULE].seeded == 1
    assert pages == 3  # two pages of log groups, one of rules
    log_group = _subject(
        "logs.amazonaws.com", "CreateLogGroup", {"logGroupName": "/app/service-1"}, None
    )
    rule = _subject(
        "events.amazonaws.com",
        "PutRule",
        {"name": "nightly", "scheduleExpression": "rate(1 day)"},
        {"ruleArn": rule_arn},
    )
    store = AssetStore(aredis, keys)
    seeded = await store.get(log_group)
    assert seeded is not None
    assert codec.loads(seeded.current.config or b"null")["RetentionInDays"] == 7
    assert await store.get(rule) is not None
    assert drift.by_type[LOG_GROUP].drifted == 1
    rows: Any = await aredis.xrange(keys.journal)
    [event] = [codec.loads(fields[b"event"]) for _, fields in rows]
    assert event["data"]["changes"] == [{"op": "remove", "path": "/RetentionInDays"}]
    assert event["data"]["change"]["service"] == "cloudcontrolapi.amazonaws.com"
