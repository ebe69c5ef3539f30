"""The demo source: the bundled sample trail at a steady pace, then a scripted live scenario.

The scenario is the sequence people fear, as CloudTrail records it: someone in the console
creates an IAM user and gives it AdministratorAccess, opens a security group's SSH port to
0.0.0.0/0, and a few seconds later both are reverted. Each round uses fresh `eventID`s and
request ids, the current time and a new user name, so every record is unique. The record
shapes follow real CloudTrail records of the public trails in `eventstream/data/NOTICE`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventstream.sources.base import Item, RawRecord
from eventstream.sources.files import read_paths

ACCOUNT = "123837392027"
REGION = "us-east-1"
SECURITY_GROUP = "sg-04cfb7a4712d75b00"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
_ROLE = "AWSReservedSSO_AdministratorAccess_4f2b0c1d9e8a7b6c"
_SESSION = "alex.morgan@example.com"
_CONSOLE_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)


def _identity(now: datetime) -> dict[str, Any]:
    """An SSO user's console session: the person's name is the role session name."""
    return {
        "type": "AssumedRole",
        "principalId": f"AROATFQR7NSCEXAMPLE7:{_SESSION}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{_ROLE}/{_SESSION}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIATFQR7NSCEXAMPLE7",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROATFQR7NSCEXAMPLE7",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/{_ROLE}",
                "accountId": ACCOUNT,
                "userName": _ROLE,
            },
            "attributes": {
                "creationDate": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "mfaAuthenticated": "false",
            },
        },
    }


def _record(name: str, source: str, params: dict[str, Any], response: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    host = "iam.amazonaws.com" if source == "iam.amazonaws.com" else f"ec2.{REGION}.amazonaws.com"
    if isinstance(response, dict) and "requestId" in response:
        response = {**response, "requestId": request_id}
    return {
        "eventVersion": "1.09",
        "userIdentity": _identity(now),
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.24",
        "userAgent": _CONSOLE_AGENT,
        "requestParameters": params,
        "responseElements": response,
        "requestID": request_id,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "sessionCredentialFromConsole": "true",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": host,
        },
    }


def _ssh_rule(rule_id: str | None) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "ipProtocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        "groups": {},
        "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0", "description": "temporary debug access"}]},
        "ipv6Ranges": {},
        "prefixListIds": {},
    }
    if rule_id is not None:
        rule["securityGroupRuleId"] = rule_id
    return rule


def _new_user(user: str) -> dict[str, Any]:
    return {
        "user": {
            "path": "/",
            "userName": user,
            "userId": f"AIDA{uuid.uuid4().hex[:17].upper()}",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
            "createDate": datetime.now(UTC).strftime("%b %d, %Y, %I:%M:%S %p"),
        }
    }


def _opened(rule_id: str) -> dict[str, Any]:
    rule = {
        "groupOwnerId": ACCOUNT,
        "groupId": SECURITY_GROUP,
        "securityGroupRuleId": rule_id,
        "isEgress": False,
        "ipProtocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        "cidrIpv4": "0.0.0.0/0",
        "description": "temporary debug access",
    }
    return {"requestId": "", "_return": True, "securityGroupRuleSet": {"items": [rule]}}


def scenario_round(round_no: int) -> Iterator[dict[str, Any]]:
    """One round: user created and made admin, SSH opened to the world, then both reverted."""
    user = f"debug-admin-{round_no}-{uuid.uuid4().hex[:6]}"
    rule_id = f"sgr-0{uuid.uuid4().hex[:16]}"
    iam, ec2 = "iam.amazonaws.com", "ec2.amazonaws.com"
    revoke = {
        "groupId": SECURITY_GROUP,
        "securityGroupRuleIds": {"items": [{"securityGroupRuleId": rule_id}]},
    }
    yield _record("CreateUser", iam, {"userName": user, "path": "/"}, _new_user(user))
    yield _record("AttachUserPolicy", iam, {"userName": user, "policyArn": ADMIN_POLICY}, None)
    yield _record(
        "AuthorizeSecurityGroupIngress",
        ec2,
        {"groupId": SECURITY_GROUP, "ipPermissions": {"items": [_ssh_rule(None)]}},
        _opened(rule_id),
    )
    yield _record("RevokeSecurityGroupIngress", ec2, revoke, {"requestId": "", "_return": True})
    yield _record("DetachUserPolicy", iam, {"userName": user, "policyArn": ADMIN_POLICY}, None)
    yield _record("DeleteUser", iam, {"userName": user}, None)


class DemoSource:
    """Replays `sample` (one record every `pace_s`), then plays scenario rounds forever
    (or `rounds` times), `step_s` apart."""

    def __init__(
        self,
        sample: Path | None,
        *,
        name: str = "demo",
        pace_s: float = 0.02,
        step_s: float = 3.0,
        rounds: int | None = None,
    ) -> None:
        self.name = name
        self.sample = sample
        self.pace_s = pace_s
        self.step_s = step_s
        self.rounds = rounds

    async def items(self) -> AsyncGenerator[Sequence[Item], None]:
        if self.sample is not None:
            for item in read_paths([str(self.sample)]):
                yield (item,)
                await asyncio.sleep(self.pace_s)
        round_no = 0
        while self.rounds is None or round_no < self.rounds:
            for index, record in enumerate(scenario_round(round_no)):
                yield (RawRecord(f"demo:round-{round_no}", None, index, record),)
                await asyncio.sleep(self.step_s)
            round_no += 1
