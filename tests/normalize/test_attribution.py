"""Attribution on real corpus records: the method precedence of BRIEF §4 and the principal."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.models.cloudtrail import CloudTrailRecord
from eventstream.models.event import Method
from eventstream.normalize.attribution import attribution_of, method_of
from tests.conftest import find_record

CASES = [
    # (corpus file, eventID, expected method, what the record shows)
    (
        "cloudtrail/invictus.jsonl",
        "cc66d3e3-6fb2-4e6a-9cb3-8eff6c2c973a",
        Method.TERRAFORM,
        "APN/1.0 HashiCorp/1.0 Terraform/1.1.2 agent",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "da460e7d-512a-4a38-b22e-37f8b4b5a4cf",
        Method.TERRAFORM,
        "bracketed S3 agent [APN/1.0 HashiCorp/1.0 Terraform/...]",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "85cee8df-89fd-4b16-8a76-3a8a97823059",
        Method.CONSOLE,
        "browser agent with sessionCredentialFromConsole",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "7542c488-ac8c-4d77-9696-31fb4f1c8398",
        Method.CONSOLE,
        "AWS Internal agent with sessionCredentialFromConsole",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "8b0a92b6-4868-4090-a6aa-d8f4d618c9d4",
        Method.CONSOLE,
        "browser agent without sessionCredentialFromConsole",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "3c856bc0-1a07-4c18-89d9-4d9205856714",
        Method.CONSOLE,
        "bracketed [S3Console/0.4, aws-internal/3 ...] agent",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "5ea74f78-9511-4c09-8834-69a33df4d5ae",
        Method.CONSOLE,
        "RDS Console, aws-internal/3 agent",
    ),
    (
        "eventbridge/envelopes.jsonl",
        "9f17a0f0-a75d-425e-8d25-7fd72e7885ae",
        Method.CONSOLE,
        "console.amazonaws.com agent",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "293ba626-3be5-4a26-ab1b-0f4c54f49959",
        Method.UNKNOWN,
        "AWS Internal alone is ambiguous",
    ),
    (
        "cloudtrail/custodian.jsonl",
        "59e2b117-e1dd-466b-a6f3-5c027f0af0f2",
        Method.CLI,
        "aws-cli/1.7.36 agent",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "4a81a319-3f88-4f76-a01d-4f206b7e1c0d",
        Method.SDK,
        "Boto3 agent",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "1f07ad67-b44f-4f8f-87b4-3bcf4d2fdb46",
        Method.SDK,
        "bracketed [Boto3/...] S3 agent",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "6bf8950b-f1ed-439d-8fc8-211645bfbe0f",
        Method.SDK,
        "aws-sdk-go agent",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "55e25aa9-7165-446e-aef6-815c7a79a961",
        Method.PROVIDER,
        "userIdentity.type AWSService",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "895dc875-cb08-45a5-b8c2-9158838741c0",
        Method.PROVIDER,
        "AwsServiceEvent invoked by ec2.amazonaws.com",
    ),
    (
        "cloudtrail/custodian.jsonl",
        "bf3b3e3a-07f5-452a-a76d-991b839ef854",
        Method.CLOUDFORMATION,
        "invoked by cloudformation.amazonaws.com",
    ),
    (
        "cloudtrail/invictus.jsonl",
        "e4bad408-6272-4892-bf47-bd41b435ce40",
        Method.UNKNOWN,
        "a custom agent that names no known tool",
    ),
]


def _record(corpus: Path, file: str, event_id: str) -> CloudTrailRecord:
    raw = find_record(corpus / file, event_id)
    return CloudTrailRecord.model_validate(raw.get("detail", raw))


@pytest.mark.parametrize(
    ("file", "event_id", "method", "shows"), CASES, ids=[case[3] for case in CASES]
)
def test_method(corpus: Path, file: str, event_id: str, method: Method, shows: str) -> None:
    """Each real record gets the method its agent and identity imply."""
    assert method_of(_record(corpus, file, event_id)) is method


def test_assumed_role_keeps_role_session_and_account(corpus: Path) -> None:
    """An assumed-role call names the role ARN, the session name and the account."""
    record = _record(corpus, "cloudtrail/invictus.jsonl", "f4574dc5-9747-435c-bb53-22f2454be3b7")
    identity = record.user_identity
    found = attribution_of(record)
    assert identity.type == "AssumedRole"
    assert identity.arn is not None
    session = identity.arn.rsplit("/", 1)[1]
    assert found["session_name"] == session
    assert found["principal"]["name"] == session
    assert found["assumed_role"] == identity.session_context.session_issuer.arn  # type: ignore[union-attr]
    assert found["assumed_role"].startswith("arn:aws:iam::")
    assert found["principal"]["account"] == identity.account_id


def test_iam_user_principal(corpus: Path) -> None:
    """An IAM user call names the user, its ARN and no assumed role."""
    record = _record(corpus, "cloudtrail/invictus.jsonl", "cc66d3e3-6fb2-4e6a-9cb3-8eff6c2c973a")
    found = attribution_of(record)
    assert found["principal"]["type"] == "IAMUser"
    assert found["principal"]["name"] == "bert-jan"
    assert found["principal"]["arn"] == "arn:aws:iam::123837392027:user/bert-jan"
    assert found["assumed_role"] is None
    assert found["ip"] == record.source_ip_address
    assert found["user_agent"] == record.user_agent


def test_mfa_from_session_attributes() -> None:
    """`mfaAuthenticated` "true"/"false" becomes a boolean; absent stays unknown."""
    base = {
        "eventID": "e",
        "eventTime": "2023-07-10T11:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser",
    }

    def mfa(flag: object) -> object:
        identity = {
            "type": "AssumedRole",
            "sessionContext": {"attributes": {"mfaAuthenticated": flag}},
        }
        return attribution_of(CloudTrailRecord.model_validate({**base, "userIdentity": identity}))[
            "mfa"
        ]

    assert mfa("true") is True
    assert mfa("false") is False
    assert attribution_of(CloudTrailRecord.model_validate(base))["mfa"] is None
