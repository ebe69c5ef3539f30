"""The Cloud Control fetcher through the real aiobotocore client, against a local server that
speaks Cloud Control's JSON 1.0 protocol (`tests/aws/cloudcontrol.py`: moto has no Cloud
Control), and with the live stage in front of the real journal committer on redis-server."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.config import AioConfig
from botocore import UNSIGNED
from botocore.exceptions import ClientError
from redis.asyncio import Redis

from eventstream import codec
from eventstream.config import Settings
from eventstream.enrich.live import cloudcontrol
from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.cloudcontrol import CloudControl, identifier, list_resources
from eventstream.enrich.live.describe import describers
from eventstream.enrich.live.outcome import Failed, Found, Missing, Skipped, Target
from eventstream.enrich.live.stage import LiveCommitter
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.models.event import ConfigurationSource
from eventstream.normalize.derived import load_table
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from eventstream.sources import aws
from tests.aws.cloudcontrol import FakeCloudControl, cloudcontrol_server
from tests.enrich.live import changes
from tests.enrich.live.test_stage import _journaled

ACCOUNT = "123456789012"
REGION = "us-east-1"
LOG_GROUP = "AWS::Logs::LogGroup"
RULE = "AWS::Events::Rule"


def _record(source: str, name: str, request: dict[str, Any], response: Any = None) -> Any:
    return {
        "eventVersion": "1.08",
        "eventID": str(uuid.uuid4()),
        "eventTime": "2026-12-02T20:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
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


def _log_group_record(name: str, event: str = "CreateLogGroup", **extra: Any) -> Any:
    return _record("logs.amazonaws.com", event, {"logGroupName": name, **extra})


def _fetchers() -> dict[str, Any]:
    explicit = describers()
    return {**cloudcontrol.fetchers(explicit), **explicit}


@pytest.fixture
async def fake(aws_env: None) -> Any:
    async with cloudcontrol_server(FakeCloudControl()) as served:
        yield served


def _target(asset_type: str, provider_id: str, arn: str | None = None) -> Target:
    return Target(asset_type, provider_id, arn, ACCOUNT, REGION)


def test_the_record_used_below_is_a_log_group_no_explicit_describe_covers() -> None:
    [event] = _events(_log_group_record("/app/orders"))
    asset = event["data"]["asset"]
    assert (asset["type"], asset["provider_id"]) == (LOG_GROUP, "/app/orders")
    fetcher = _fetchers()[LOG_GROUP]
    assert isinstance(fetcher, CloudControl)
    assert fetcher.supports(LOG_GROUP)
    assert not fetcher.supports("AWS::EC2::SecurityGroup")  # explicitly described
    assert not fetcher.supports("AWS::Nothing::Here")
    assert not isinstance(_fetchers()["AWS::EC2::SecurityGroup"], CloudControl)


def test_identifier_from_the_provider_id() -> None:
    table = load_table()
    log_group, rule = table.types[LOG_GROUP], table.types[RULE]
    assert identifier(log_group, _target(LOG_GROUP, "/app/x")) == "/app/x"
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/x"
    assert identifier(log_group, _target(LOG_GROUP, arn)) == "/app/x"
    assert identifier(log_group, _target(LOG_GROUP, f"{arn}:*")) == "/app/x"
    sg_arn = f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-1"
    sg = table.types["AWS::EC2::SecurityGroup"]
    assert identifier(sg, _target(sg.type, sg_arn)) == "sg-1"
    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/r1"
    assert rule.identifiers == ("Arn",)
    assert identifier(rule, _target(RULE, "r1", rule_arn)) == rule_arn
    assert identifier(rule, _target(RULE, "r1")) is None  # an ARN identifier and no ARN
    stage = table.types["AWS::ApiGateway::Stage"]  # RestApiId, StageName; id `a1/prod`
    assert identifier(stage, _target(stage.type, "a1/prod")) == "a1|prod"
    deployment = table.types["AWS::ApiGateway::Deployment"]  # DeploymentId, RestApiId
    assert deployment.identifiers == ("DeploymentId", "RestApiId")
    assert identifier(deployment, _target(deployment.type, "a1/d1")) == "d1|a1"
    assert identifier(stage, _target(stage.type, "prod")) is None  # parent unknown
    assert identifier(stage, _target(stage.type, "a1/prod/x")) is None
    assert identifier(None, _target("AWS::Nothing::Here", "x")) is None


async def test_get_resource_found_missing_and_unreadable_identifier(fake: FakeCloudControl) -> None:
    fake.put(LOG_GROUP, "/app/x", {"LogGroupName": "/app/x", "RetentionInDays": 14})
    fetcher = CloudControl.for_types(describers())
    clients = DefaultClients(fake.endpoint)
    try:
        found = await fetcher.fetch(_target(LOG_GROUP, "/app/x"), clients)
        missing = await fetcher.fetch(_target(LOG_GROUP, "/app/gone"), clients)
        skipped = await fetcher.fetch(_target(RULE, "r1"), clients)
    finally:
        await clients.close()
    assert found == Found(
        {"LogGroupName": "/app/x", "RetentionInDays": 14}, ConfigurationSource.CLOUDCONTROL
    )
    assert isinstance(missing, Missing)
    assert "ResourceNotFoundException" in missing.detail
    assert skipped == Skipped("cloudcontrol_identifier")
    assert [c.body for c in fake.asked("GetResource")] == [
        {"TypeName": LOG_GROUP, "Identifier": "/app/x"},
        {"TypeName": LOG_GROUP, "Identifier": "/app/gone"},
    ]
    assert fake.unsigned == 0


async def test_throttled_twice_then_found_through_the_stage_retries(
    fake: FakeCloudControl, aredis: Redis, keys: Keys
) -> None:
    fake.put(LOG_GROUP, "/app/t", {"LogGroupName": "/app/t"})
    fake.throttle_next = 2
    clients = DefaultClients(fake.endpoint)
    live = LiveCommitter(
        Committer(aredis, keys), _fetchers(), clients, timeout_s=10, backoff_s=0.01
    )
    try:
        result = await live.commit(_events(_log_group_record("/app/t")))
    finally:
        await clients.close()
    assert fake.throttled == 2
    assert len(fake.asked("GetResource")) == 3
    assert live.counters.calls["logs"] == 3
    assert live.counters.counts[("logs", "found")] == 1
    [event] = await _journaled(aredis, keys, result.ids)
    assert event["data"]["configuration_source"] == "cloudcontrol"
    assert event["data"]["configuration"] == {"LogGroupName": "/app/t"}


async def test_throttling_past_the_attempts_is_counted_and_the_event_goes_on(
    fake: FakeCloudControl, aredis: Redis, keys: Keys
) -> None:
    fake.put(LOG_GROUP, "/app/busy", {"LogGroupName": "/app/busy"})
    fake.throttle_next = 10
    clients = DefaultClients(fake.endpoint)
    live = LiveCommitter(
        Committer(aredis, keys), _fetchers(), clients, max_attempts=2, backoff_s=0.01
    )
    try:
        result = await live.commit(_events(_log_group_record("/app/busy")))
    finally:
        await clients.close()
    assert len(fake.asked("GetResource")) == 2
    assert live.counters.counts[("logs", "throttled")] == 2  # one per throttled answer
    [event] = await _journaled(aredis, keys, result.ids)
    assert event["data"]["configuration_source"] != "cloudcontrol"
    assert event["data"]["configuration"] is None


async def test_a_type_cloud_control_cannot_read_is_skipped_and_counted(
    fake: FakeCloudControl, aredis: Redis, keys: Keys
) -> None:
    fake.unsupported.add(RULE)
    record = _record(
        "events.amazonaws.com",
        "PutRule",
        {"name": "nightly", "scheduleExpression": "rate(1 day)"},
        {"ruleArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/nightly"},
    )
    [event] = _events(record)
    assert event["data"]["asset"]["type"] == RULE
    clients = DefaultClients(fake.endpoint)
    live = LiveCommitter(Committer(aredis, keys), _fetchers(), clients, backoff_s=0.01)
    try:
        result = await live.commit([event])
    finally:
        await clients.close()
    [asked] = fake.asked("GetResource")  # not retried: retrying would not help
    assert asked.body["Identifier"] == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/nightly"
    assert live.counters.counts[("events", "cloudcontrol_unsupported")] == 1
    assert live.counters.counts[("events", "found")] == 0
    [journaled] = await _journaled(aredis, keys, result.ids)
    assert journaled["data"]["configuration_source"] == event["data"]["configuration_source"]


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("TypeNotFoundException", "no such type", Skipped("cloudcontrol_unsupported")),
        ("InvalidRequestException", "bad identifier", Skipped("cloudcontrol_unsupported")),
        ("AccessDeniedException", "not authorized", Failed("cloudcontrol", "access_denied")),
        (
            "GeneralServiceException",
            "AccessDenied: not authorized to perform logs:DescribeLogGroups",
            Failed("cloudcontrol", "access_denied"),
        ),
        ("GeneralServiceException", "unsupported handler", Skipped("cloudcontrol_unsupported")),
        ("HandlerInternalFailureException", "boom", Failed("cloudcontrol", "other")),
    ],
)
def test_error_codes(code: str, message: str, expected: Any) -> None:
    error = ClientError({"Error": {"Code": code, "Message": message}}, "GetResource")
    outcome = cloudcontrol._failure(error)
    if isinstance(expected, Failed):
        assert isinstance(outcome, Failed)
        assert (outcome.service, outcome.kind) == (expected.service, expected.kind)
        assert code in outcome.detail
        assert outcome.retryable == (expected.kind == "other")
    else:
        assert outcome == expected


async def test_list_resources_over_pages(fake: FakeCloudControl) -> None:
    names = [f"/app/{i}" for i in range(5)]
    for name in names:
        fake.put(LOG_GROUP, name, {"LogGroupName": name})
    fake.put(RULE, "other", {"Name": "other"})
    clients = DefaultClients(fake.endpoint)
    try:
        made = await clients.client("cloudcontrol", account=ACCOUNT, region=REGION)
        listed = [pair async for pair in list_resources(LOG_GROUP, made)]
    finally:
        await clients.close()
    assert listed == [(name, {"LogGroupName": name}) for name in names]
    tokens = [c.body.get("NextToken") for c in fake.asked("ListResources")]
    assert tokens == [None, "2", "4"]  # three pages of at most two


async def test_an_unsigned_request_is_refused(fake: FakeCloudControl) -> None:
    config = AioConfig(signature_version=UNSIGNED, retries={"total_max_attempts": 1})
    async with aws.session().create_client(
        "cloudcontrol", region_name=REGION, endpoint_url=fake.endpoint, config=config
    ) as made:
        with pytest.raises(ClientError) as raised:
            await made.get_resource(TypeName=LOG_GROUP, Identifier="/app/x")
    assert aws.error_code(raised.value) == "MissingAuthenticationTokenException"
    assert fake.unsigned == 1
    assert fake.calls == []


async def test_log_group_configuration_then_a_change_gives_previous_and_patch(
    fake: FakeCloudControl, aredis: Redis, keys: Keys
) -> None:
    name = "/app/orders"
    fake.put(LOG_GROUP, name, {"LogGroupName": name, "Arn": f"arn:{name}", "RetentionInDays": 7})
    clients = DefaultClients(fake.endpoint)
    live = LiveCommitter(Committer(aredis, keys), _fetchers(), clients, timeout_s=10)
    try:
        first = await live.commit(_events(_log_group_record(name)))
        [created] = await _journaled(aredis, keys, first.ids)
        assert created["data"]["change"]["action"] == "create"
        assert created["data"]["configuration_source"] == "cloudcontrol"
        assert created["data"]["configuration"]["RetentionInDays"] == 7
        fake.put(
            LOG_GROUP, name, {"LogGroupName": name, "Arn": f"arn:{name}", "RetentionInDays": 30}
        )
        change = _log_group_record(name, "PutRetentionPolicy", retentionInDays=30)
        second = await live.commit(_events(change))
    finally:
        await clients.close()
    [updated] = await _journaled(aredis, keys, second.ids)
    data = updated["data"]
    assert data["configuration_source"] == "cloudcontrol"
    assert data["previous_configuration"]["RetentionInDays"] == 7
    assert data["configuration"]["RetentionInDays"] == 30
    assert data["changes"] == [{"op": "replace", "path": "/RetentionInDays", "value": 30}]


async def _replay(settings: Settings, path: Path, aredis: Redis, keys: Keys) -> dict[str, Any]:
    [event] = await changes.replayed(settings, path, aredis, keys)
    return event


async def test_the_setting_turns_cloud_control_on_and_off_in_the_pipeline(
    fake: FakeCloudControl, aredis: Redis, keys: Keys, tmp_path: Path
) -> None:
    fake.put(LOG_GROUP, "/app/w", {"LogGroupName": "/app/w"})
    path = tmp_path / "records.jsonl"
    path.write_bytes(codec.dumps(_log_group_record("/app/w", "PutRetentionPolicy")) + b"\n")
    described = {"enabled": True, "endpoint_url": fake.endpoint, "timeout_s": 10}
    on = await _replay(Settings.model_validate({"describe": described}), path, aredis, keys)
    assert on["data"]["configuration_source"] == "cloudcontrol"
    assert on["data"]["configuration"] == {"LogGroupName": "/app/w"}
    off_settings = Settings.model_validate({"describe": {**described, "cloudcontrol": False}})
    off = await _replay(off_settings, path, aredis, Keys(prefix=keys.prefix + "off"))
    assert off["data"]["configuration_source"] != "cloudcontrol"
    assert len(fake.asked("GetResource")) == 1
