"""Many accounts against moto's server mode: moto's STS `AssumeRole` hands out credentials of the
account the role ARN names, so what is created with them lives in that account. Each account's
assets are described through its own role (and are missing through another account's
credentials), one AssumeRole per account serves every client, sessions are renewed before they
expire, the external id reaches STS, an unconfigured account is skipped and a role that cannot
be assumed is a counted failure; Organizations' ACTIVE accounts are listed."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.sts.models import sts_backends
from redis.asyncio import Redis

from eventstream import codec
from eventstream.config import Settings, load_settings
from eventstream.config.accounts import AccountsSettings
from eventstream.enrich.live.accounts import AccountClients, live_clients
from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.describe import describers
from eventstream.enrich.live.organizations import AccountList, active_accounts
from eventstream.enrich.live.outcome import (
    AccountNotConfigured,
    Failed,
    Found,
    Missing,
    Skipped,
    Target,
)
from eventstream.enrich.live.roles import RoleCredentials, StsAssume
from eventstream.errors import ConfigError
from eventstream.journal.keys import Keys
from eventstream.sources import aws
from tests.aws.conftest import REGION, Moto
from tests.enrich.live import changes

HOME = "123456789012"
SECOND = "210987654321"
TEMPLATE = "arn:aws:iam::{account_id}:role/EventStreamReader"
SG = "AWS::EC2::SecurityGroup"


class Counted:
    """The real `StsAssume`, counting its calls and keeping what it was asked; with a `clock`,
    the sessions expire `duration_s` after the clock's now (moto's expiry is on the real
    clock)."""

    def __init__(self, endpoint: str, clock: Callable[[], float] | None = None) -> None:
        self.sts = StsAssume(endpoint_url=endpoint)
        self.clock = clock
        self.asked: list[tuple[str, str | None]] = []

    async def __call__(
        self, role_arn: str, *, session_name: str, duration_s: int, external_id: str | None
    ) -> RoleCredentials:
        self.asked.append((role_arn, external_id))
        got = await self.sts(
            role_arn, session_name=session_name, duration_s=duration_s, external_id=external_id
        )
        assert abs(got.expires_at - time.time() - duration_s) < 60  # STS's expiry, parsed
        if self.clock is None:
            return got
        return dataclasses.replace(got, expires_at=self.clock() + duration_s)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _credentials(moto: Moto, account: str) -> dict[str, str]:
    """Credentials of `account`, through moto's AssumeRole."""
    got = moto.client("sts").assume_role(
        RoleArn=TEMPLATE.format(account_id=account), RoleSessionName="setup"
    )
    c = got["Credentials"]
    return {
        "aws_access_key_id": c["AccessKeyId"],
        "aws_secret_access_key": c["SecretAccessKey"],
        "aws_session_token": c["SessionToken"],
    }


def _assumed(moto: Moto, account: str, service: str) -> Any:
    """A boto3 client in `account`."""
    return boto3.client(
        service, region_name=REGION, endpoint_url=moto.endpoint, **_credentials(moto, account)
    )


def _group(ec2: Any) -> str:
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    name = f"acct-{uuid.uuid4().hex[:8]}"
    return str(ec2.create_security_group(GroupName=name, Description="d", VpcId=vpc)["GroupId"])


def _settings(moto: Moto, **fields: Any) -> AccountsSettings:
    return AccountsSettings.model_validate(
        {"role_arn_template": TEMPLATE, "endpoint_url": moto.endpoint, **fields}
    )


async def test_each_account_is_described_through_its_own_role(moto: Moto) -> None:
    home_group = _group(moto.client("ec2"))
    second_group = _group(_assumed(moto, SECOND, "ec2"))
    clients = AccountClients(_settings(moto, ids=[SECOND]), endpoint_url=moto.endpoint)
    fetcher = describers()[SG]
    try:
        assert await clients.home() == HOME
        got = await fetcher.fetch(Target(SG, home_group, None, HOME, REGION), clients)
        assert isinstance(got, Found), got
        assert (got.configuration["GroupId"], got.configuration["OwnerId"]) == (home_group, HOME)

        got = await fetcher.fetch(Target(SG, second_group, None, SECOND, REGION), clients)
        assert isinstance(got, Found), got
        assert (got.configuration["GroupId"], got.configuration["OwnerId"]) == (
            second_group,
            SECOND,
        )

        # The second account's group does not exist for the first account's credentials,
        # nor the first's for the second's: each asset was read where its event says it is.
        got = await fetcher.fetch(Target(SG, second_group, None, HOME, REGION), clients)
        assert isinstance(got, Missing), got
        got = await fetcher.fetch(Target(SG, home_group, None, SECOND, REGION), clients)
        assert isinstance(got, Missing), got
        assert await clients.accounts() == [HOME, SECOND]
    finally:
        await clients.close()


async def test_one_assume_role_per_account_serves_every_client(moto: Moto) -> None:
    counted = Counted(moto.endpoint)
    clients = AccountClients(_settings(moto), endpoint_url=moto.endpoint, assume=counted)
    try:
        asked = [("ec2", REGION), ("ec2", "eu-west-1"), ("s3", REGION), ("iam", REGION)] * 3
        made = await asyncio.gather(
            *(clients.client(s, account=SECOND, region=r) for s, r in asked)
        )
        assert counted.asked == [(TEMPLATE.format(account_id=SECOND), None)]
        assert len({id(one) for one in made}) == 4  # one client per (service, region)
        again = await clients.client("ec2", account=SECOND, region=REGION)
        assert again is made[0]
        home = await clients.client("ec2", account=HOME, region=REGION)
        assert home is not made[0]
        assert len(counted.asked) == 1  # the home account is read without assuming a role
        identity = await (
            await clients.client("sts", account=SECOND, region=REGION)
        ).get_caller_identity()
        assert identity["Account"] == SECOND
    finally:
        await clients.close()
        await counted.sts.close()


async def test_a_session_is_renewed_before_it_expires(moto: Moto) -> None:
    clock = Clock()
    counted = Counted(moto.endpoint, clock)
    start = clock.now
    settings = _settings(moto, session_duration_s=900, renew_before_s=300)
    clients = AccountClients(settings, endpoint_url=moto.endpoint, assume=counted, clock=clock)
    second_group = _group(_assumed(moto, SECOND, "ec2"))
    fetcher = describers()[SG]
    target = Target(SG, second_group, None, SECOND, REGION)
    try:
        first = await clients.client("ec2", account=SECOND, region=REGION)
        clock.now = start + 590  # 310 s left: still used
        assert await clients.client("ec2", account=SECOND, region=REGION) is first
        assert len(counted.asked) == 1

        clock.now = start + 610  # 290 s left, under renew_before_s: a new session and client
        renewed = await clients.client("ec2", account=SECOND, region=REGION)
        assert renewed is not first
        assert len(counted.asked) == 2
        assert isinstance(await fetcher.fetch(target, clients), Found)
        # The replaced client stays open for calls already holding it.
        old = await first.describe_security_groups(GroupIds=[second_group])
        assert old["SecurityGroups"][0]["GroupId"] == second_group

        clock.now = start + 610 + 590  # the renewed session is still used
        assert await clients.client("ec2", account=SECOND, region=REGION) is renewed
        clock.now = start + 610 + 610  # past the renewed session's renewal point
        third = await clients.client("ec2", account=SECOND, region=REGION)
        assert third is not renewed
        assert len(counted.asked) == 3
        assert isinstance(await fetcher.fetch(target, clients), Found)
    finally:
        await clients.close()
        await counted.sts.close()


async def test_the_external_id_reaches_sts(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    account = "310987654321"
    external = f"ext-{uuid.uuid4().hex}"
    settings = _settings(moto, external_id_env="ES_TEST_EXTERNAL_ID", session_name="es-test")
    with pytest.raises(ConfigError, match="ES_TEST_EXTERNAL_ID"):
        AccountClients(settings, endpoint_url=moto.endpoint)
    monkeypatch.setenv("ES_TEST_EXTERNAL_ID", external)
    clients = AccountClients(settings, endpoint_url=moto.endpoint)
    try:
        await clients.client("ec2", account=account, region=REGION)
    finally:
        await clients.close()
    # What moto's STS received over HTTP (the server runs in this process).
    [assumed] = [r for r in sts_backends[account]["aws"].assumed_roles if r.external_id == external]
    assert assumed.role_arn == TEMPLATE.format(account_id=account)
    assert assumed.session_name == "es-test"


async def test_an_account_outside_the_list_is_skipped(moto: Moto) -> None:
    counted = Counted(moto.endpoint)
    clients = AccountClients(
        _settings(moto, ids=[SECOND]), endpoint_url=moto.endpoint, assume=counted
    )
    fetcher = describers()[SG]
    try:
        got = await fetcher.fetch(Target(SG, "sg-0123", None, "999999999999", REGION), clients)
        assert got == Skipped("account_not_configured")
        with pytest.raises(AccountNotConfigured, match="999999999999"):
            await clients.client("ec2", account="999999999999", region=REGION)
        with pytest.raises(AccountNotConfigured):
            await clients.client("ec2", account="not-an-account", region=REGION)
        assert counted.asked == []  # no role assumed for either
    finally:
        await clients.close()
        await counted.sts.close()


async def test_a_role_that_cannot_be_assumed_is_failed_and_retried_a_minute_later(
    moto: Moto,
) -> None:
    """Moto's STS grants every AssumeRole, so the refusal comes from the injected call."""
    calls: list[str] = []

    async def denied(
        role_arn: str, *, session_name: str, duration_s: int, external_id: str | None
    ) -> RoleCredentials:
        calls.append(role_arn)
        error = {"Error": {"Code": "AccessDenied", "Message": "not authorized to assume"}}
        raise ClientError(error, "AssumeRole")

    clock = Clock()
    clients = AccountClients(
        _settings(moto), endpoint_url=moto.endpoint, assume=denied, clock=clock
    )
    fetcher = describers()[SG]
    target = Target(SG, "sg-0123", None, SECOND, REGION)
    try:
        got = await fetcher.fetch(target, clients)
        assert isinstance(got, Failed), got
        assert (got.service, got.kind, got.retryable) == ("sts", "access_denied", False)
        assert SECOND in got.detail
        assert TEMPLATE.format(account_id=SECOND) in got.detail
        assert isinstance(await fetcher.fetch(target, clients), Failed)
        assert len(calls) == 1  # the refusal is remembered
        clock.now += 61
        assert isinstance(await fetcher.fetch(target, clients), Failed)
        assert len(calls) == 2
        # The home account is still read.
        home = Target(SG, _group(moto.client("ec2")), None, HOME, REGION)
        assert isinstance(await fetcher.fetch(home, clients), Found)
    finally:
        await clients.close()


async def test_organizations_active_accounts_are_the_list(
    moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EventStream runs in a management account of its own (moto keeps one organization per
    account), with the default credentials being that account's."""
    management = "444455556666"
    credentials = _credentials(moto, management)
    for name, value in credentials.items():
        monkeypatch.setenv(name.upper(), value)
    org = _assumed(moto, management, "organizations")
    org.create_organization(FeatureSet="ALL")
    created = []
    for n in range(3):
        status = org.create_account(AccountName=f"a{n}", Email=f"a{n}@example.com")
        created.append(status["CreateAccountStatus"]["AccountId"])
    org.close_account(AccountId=created[2])
    member = created[0]
    member_group = _group(_assumed(moto, member, "ec2"))

    async with aws.client(
        aws.session(), "organizations", region=REGION, endpoint_url=moto.endpoint
    ) as client:
        listed = await active_accounts(client, page_size=1)  # one account a page: 3 pages
    assert sorted(listed) == sorted([management, created[0], created[1]])

    settings = _settings(moto, from_organizations=True)
    clients = AccountClients(settings, endpoint_url=moto.endpoint)
    fetcher = describers()[SG]
    try:
        assert await clients.home() == management
        assert sorted(await clients.accounts()) == sorted(listed)
        got = await fetcher.fetch(Target(SG, member_group, None, member, REGION), clients)
        assert isinstance(got, Found), got
        assert got.configuration["OwnerId"] == member
        closed = Target(SG, member_group, None, created[2], REGION)
        assert await fetcher.fetch(closed, clients) == Skipped("account_not_configured")
    finally:
        await clients.close()


async def test_the_organization_is_asked_again_for_an_unknown_account_at_most_every_refresh() -> (
    None
):
    clock = Clock()
    answers = [["111111111111"], ["111111111111", "222222222222"]]
    calls: list[int] = []

    async def listed() -> list[str]:
        calls.append(1)
        return answers[min(len(calls), len(answers)) - 1]

    accounts = AccountList(["333333333333"], listed, refresh_s=900, clock=clock)
    assert await accounts.contains("333333333333")  # configured: Organizations not asked
    assert calls == []
    assert await accounts.contains("111111111111")
    assert not await accounts.contains("222222222222")  # not listed yet, not asked again
    assert len(calls) == 1
    clock.now += 901
    assert await accounts.contains("222222222222")  # joined since: found on the refresh
    assert len(calls) == 2
    assert await accounts.accounts() == ["333333333333", "111111111111", "222222222222"]


def test_settings_errors_name_the_problem(tmp_path: Path) -> None:
    cases = {
        'role_arn_template = "arn:aws:iam::123456789012:role/Reader"': "account_id",
        'role_arn_template = "arn:aws:iam::{account}:role/Reader"': "account_id",
        'role_arn_template = "EventStreamReader-{account_id}"': "IAM role ARN",
        f'role_arn_template = "{TEMPLATE}"\nids = ["12345"]': "12 digits",
        'ids = ["123456789012"]': "need a role_arn_template",
        f'role_arn_template = "{TEMPLATE}"\nsession_duration_s = 60': "session_duration_s",
        f'role_arn_template = "{TEMPLATE}"\nexternal_id = "ab"\nexternal_id_env = "X"': "not both",
        'regions = ["europe"]': "region",
    }
    for body, expected in cases.items():
        path = tmp_path / "eventstream.toml"
        path.write_text(f"[accounts]\n{body}\n")
        with pytest.raises(ConfigError, match=expected):
            load_settings(path, environ={})
    path.write_text(
        f'[accounts]\nrole_arn_template = "{TEMPLATE}"\nids = ["{SECOND}", "{SECOND}"]\n'
        'regions = ["eu-west-1", "us-east-1"]\n'
    )
    accounts = load_settings(path, environ={}).accounts
    assert (accounts.ids, accounts.regions) == ([SECOND], ["eu-west-1", "us-east-1"])
    assert accounts.role_arn(SECOND) == f"arn:aws:iam::{SECOND}:role/EventStreamReader"


async def test_the_pipeline_describes_an_event_of_the_second_account(
    moto: Moto, aredis: Redis, keys: Keys, tmp_path: Path
) -> None:
    assert isinstance(live_clients(AccountsSettings(), moto.endpoint), DefaultClients)
    gid = _group(_assumed(moto, SECOND, "ec2"))
    record = {
        "eventVersion": "1.08",
        "eventID": str(uuid.uuid4()),
        "eventTime": "2026-12-02T20:00:00Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "AuthorizeSecurityGroupIngress",
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2",
        "userIdentity": {
            "type": "IAMUser",
            "arn": f"arn:aws:iam::{SECOND}:user/alice",
            "accountId": SECOND,
        },
        "recipientAccountId": SECOND,
        "eventType": "AwsApiCall",
        "requestParameters": {"groupId": gid},
        "responseElements": {"_return": True},
    }
    path = tmp_path / "records.jsonl"
    path.write_bytes(codec.dumps(record) + b"\n")
    settings = Settings.model_validate(
        {
            "describe": {"enabled": True, "endpoint_url": moto.endpoint, "timeout_s": 10},
            "accounts": {
                "role_arn_template": TEMPLATE,
                "endpoint_url": moto.endpoint,
                "ids": [SECOND],
            },
        }
    )
    [event] = await changes.replayed(settings, path, aredis, keys)
    assert event["data"]["configuration_source"] == "describe"
    assert event["data"]["configuration"]["OwnerId"] == SECOND
    assert event["data"]["configuration"]["GroupId"] == gid
