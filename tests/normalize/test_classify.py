"""The not-a-change rules and the leading-verb rule of BRIEF §4."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.models.event import Action
from eventstream.normalize.classify import Outcome, base_operation, screen, verb_action
from tests.conftest import read_jsonl


@pytest.mark.parametrize(
    ("operation", "action"),
    [
        ("CreateBucket", Action.CREATE),
        ("RunInstances", Action.CREATE),
        ("AllocateAddress", Action.CREATE),
        ("RegisterImage", Action.CREATE),
        ("RestoreDBInstanceFromDBSnapshot", Action.CREATE),
        ("DeleteRunCommand", Action.DELETE),
        ("TerminateInstances", Action.DELETE),
        ("ReleaseAddress", Action.DELETE),
        ("DeregisterImage", Action.DELETE),
        ("ScheduleKeyDeletion", Action.DELETE),
        ("AuthorizeSecurityGroupIngress", Action.UPDATE),
        ("ModifyInstanceAttribute", Action.UPDATE),
        ("RemoveRoleFromInstanceProfile", Action.UPDATE),
        ("RemovePermission", Action.UPDATE),
        ("RunScheduledInstancesX", Action.CREATE),
        ("Frobnicate", None),
        ("", None),
    ],
)
def test_leading_verb(operation: str, action: Action | None) -> None:
    """The leading verb alone decides, never a substring (`DeleteRunCommand` is a delete)."""
    assert verb_action(operation) is action


def test_api_version_suffix_is_stripped() -> None:
    """Lambda's API-versioned event names reduce to the operation."""
    assert base_operation("UpdateFunctionCode20150331v2") == "UpdateFunctionCode"
    assert base_operation("CreateFunction20150331") == "CreateFunction"
    assert base_operation("PutObject") == "PutObject"


@pytest.mark.parametrize(
    ("record", "outcome"),
    [
        (
            {"eventName": "CreateUser", "errorCode": "AccessDenied", "readOnly": False},
            Outcome.FAILED,
        ),
        ({"eventName": "CreateUser", "readOnly": True}, Outcome.READ_ONLY),
        ({"eventName": "DescribeInstances"}, Outcome.READ_ONLY),
        ({"eventName": "ListBuckets", "readOnly": False}, Outcome.READ_ONLY),
        ({"eventName": "HeadBucket"}, Outcome.READ_ONLY),
        ({"eventName": "ConsoleLogin", "eventType": "AwsConsoleSignIn"}, Outcome.SIGN_IN),
        ({"eventName": "CreateUser"}, None),
        ({"eventName": "CreateUser", "readOnly": False, "errorCode": ""}, None),
        ({"eventName": 7}, None),
    ],
)
def test_screen(record: dict[str, object], outcome: Outcome | None) -> None:
    """Failed, read-only and sign-in records are screened out; others may be changes."""
    assert screen(record) is outcome


def test_no_failed_or_read_only_record_in_the_corpus_passes_the_screen(corpus: Path) -> None:
    """Every corpus record with an errorCode or readOnly true is screened out."""
    checked = 0
    for record in read_jsonl(corpus / "cloudtrail" / "invictus.jsonl"):
        if record.get("errorCode") or record.get("readOnly") is True:
            checked += 1
            assert screen(record) in (Outcome.FAILED, Outcome.READ_ONLY)
    assert checked > 2000
