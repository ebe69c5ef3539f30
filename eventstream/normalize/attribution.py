"""Who made a change and how: principal, network origin and the method (console, Terraform...).

The method follows BRIEF §4, in this order: the provider itself (CloudFormation is its own
method), Terraform, the console, the CLI, an SDK, and unknown. `AWS Internal` alone as user
agent is ambiguous (console sessions and AWS itself both show it) and stays unknown.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from eventstream import codec
from eventstream.errors import MalformedRecordError
from eventstream.models.cloudtrail import CloudTrailRecord, UserIdentity
from eventstream.models.event import Method

_CLOUDFORMATION = "cloudformation.amazonaws.com"
_CONSOLE_HOSTS = frozenset({"console.amazonaws.com", "signin.amazonaws.com"})
_TERRAFORM = re.compile(r"(HashiCorp/|Terraform/|terraform-provider-aws/)")
_CONSOLE_AGENT = re.compile(
    r"^(Mozilla/|console\.amazonaws\.com|signin\.amazonaws\.com)"
    r"|\[S3Console|Console(/[\w.\-]+)?, aws-internal/"
)
_CLI = re.compile(r"(^|[\s\[])aws-cli/")
_SDK = re.compile(r"(^|[\s\[])(Boto3/|Botocore/|aws-sdk-|aws-sdk/|AWS-SDK|aws-chalice/)", re.I)


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def method_of(record: CloudTrailRecord) -> Method:
    """The method by which the call was made."""
    identity = record.user_identity
    agent = record.user_agent or ""
    invoked_by = identity.invoked_by or ""
    if _CLOUDFORMATION in (invoked_by, agent):
        return Method.CLOUDFORMATION
    if (
        identity.type == "AWSService"
        or record.event_type == "AwsServiceEvent"
        or (invoked_by.endswith(".amazonaws.com") and invoked_by not in _CONSOLE_HOSTS)
    ):
        return Method.PROVIDER
    if _TERRAFORM.search(agent):
        return Method.TERRAFORM
    if _truthy(record.session_credential_from_console) or _CONSOLE_AGENT.search(agent):
        return Method.CONSOLE
    if _CLI.search(agent):
        return Method.CLI
    if _SDK.search(agent):
        return Method.SDK
    return Method.UNKNOWN


def _session_name(identity: UserIdentity) -> str | None:
    if identity.type == "AssumedRole" and identity.arn and identity.arn.count("/") >= 2:
        return identity.arn.rsplit("/", 1)[1]
    return None


def _mfa(record: CloudTrailRecord) -> bool | None:
    context = record.user_identity.session_context
    if context is not None and context.attributes is not None:
        flag = context.attributes.mfa_authenticated
        if flag is not None:
            return _truthy(flag)
    extra = record.additional_event_data or {}
    used = extra.get("MFAUsed")
    if isinstance(used, str):
        return used.lower() == "yes"
    return None


def attribution_of(record: CloudTrailRecord) -> dict[str, Any]:
    """The `attribution` object of an asset event."""
    identity = record.user_identity
    context = identity.session_context
    issuer = context.session_issuer if context is not None else None
    session_name = _session_name(identity)
    assumed_role = issuer.arn if issuer is not None and identity.type == "AssumedRole" else None
    return {
        "method": method_of(record),
        "ip": record.source_ip_address,
        "user_agent": record.user_agent,
        "principal": {
            "type": identity.type,
            "id": identity.principal_id,
            "arn": identity.arn,
            "account": identity.account_id,
            "name": identity.user_name or session_name,
        },
        "assumed_role": assumed_role,
        "session_name": session_name,
        "invoked_by": identity.invoked_by,
        "mfa": _mfa(record),
    }


def provider_attribution(invoked_by: str | None = None) -> dict[str, Any]:
    """Attribution of a change the provider made itself (native EventBridge events)."""
    return {
        "method": Method.PROVIDER,
        "ip": None,
        "user_agent": None,
        "principal": {
            "type": "AWSService",
            "id": None,
            "arn": None,
            "account": None,
            "name": invoked_by,
        },
        "assumed_role": None,
        "session_name": None,
        "invoked_by": invoked_by,
        "mfa": None,
    }


_MEMO_SIZE = 4_096  # distinct callers remembered; the memo is emptied when full


class Attributions:
    """`attribution_of`, memoized: a trail's changes come from few distinct callers.

    The key is every raw field attribution reads. Events of the same caller share one
    attribution dict, so events are to be treated as read-only once built.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[Any, ...], dict[str, Any]] = {}

    def of(self, record: CloudTrailRecord | None, raw: dict[str, Any]) -> dict[str, Any]:
        """The attribution of a record; `record=None` when `raw` is plain (`is_plain`): the
        model is then built only for a caller not seen before."""
        get = raw.get
        extra = get("additionalEventData")
        try:
            identity = codec.dumps(get("userIdentity"))
        except TypeError:  # not JSON-encodable (e.g. an integer beyond 64 bits): no memo
            return self._compute(record, raw)
        key = (
            identity,
            get("userAgent"),
            get("sourceIPAddress"),
            get("sessionCredentialFromConsole"),
            get("eventType"),
            extra.get("MFAUsed") if isinstance(extra, dict) else None,
        )
        try:
            found = self._memo.get(key)
        except TypeError:  # a part that is not hashable (a list, an object): no memo
            return self._compute(record, raw)
        if found is None:
            found = self._compute(record, raw)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = found
        return found

    @staticmethod
    def _compute(record: CloudTrailRecord | None, raw: dict[str, Any]) -> dict[str, Any]:
        if record is None:  # a plain record, whose validation cannot fail
            record = CloudTrailRecord.model_validate(raw)
        try:
            return attribution_of(record)
        except ValidationError as error:
            detail = error.errors()[0]
            where = ".".join(str(part) for part in detail["loc"])
            raise MalformedRecordError(f"invalid userIdentity.{where}: {detail['msg']}") from None


def unknown_attribution() -> dict[str, Any]:
    """Attribution of a change no record explains (an inventory sync's drift): nobody known."""
    return {
        "method": Method.UNKNOWN,
        "ip": None,
        "user_agent": None,
        "principal": {"type": None, "id": None, "arn": None, "account": None, "name": None},
        "assumed_role": None,
        "session_name": None,
        "invoked_by": None,
        "mfa": None,
    }
