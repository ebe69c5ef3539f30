"""Lenient model of one CloudTrail record: declares the fields EventStream reads, ignores the rest.

The raw record itself travels beside the model (the event's `data.raw`), so nothing is lost by
ignoring undeclared fields here. Request, response and additional data are checked to be JSON
objects but not copied: they can be large, and validation runs once per mutating record.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class SessionIssuer(_Lenient):
    type: str | None = None
    principal_id: str | None = Field(None, alias="principalId")
    arn: str | None = None
    account_id: str | None = Field(None, alias="accountId")
    user_name: str | None = Field(None, alias="userName")


class SessionAttributes(_Lenient):
    mfa_authenticated: str | bool | None = Field(None, alias="mfaAuthenticated")
    creation_date: str | None = Field(None, alias="creationDate")


class SessionContext(_Lenient):
    session_issuer: SessionIssuer | None = Field(None, alias="sessionIssuer")
    attributes: SessionAttributes | None = None
    source_identity: str | None = Field(None, alias="sourceIdentity")


class UserIdentity(_Lenient):
    type: str | None = None
    principal_id: str | None = Field(None, alias="principalId")
    arn: str | None = None
    account_id: str | None = Field(None, alias="accountId")
    access_key_id: str | None = Field(None, alias="accessKeyId")
    user_name: str | None = Field(None, alias="userName")
    invoked_by: str | None = Field(None, alias="invokedBy")
    session_context: SessionContext | None = Field(None, alias="sessionContext")


class ResourceRef(_Lenient):
    arn: str | None = Field(None, alias="ARN")
    account_id: str | None = Field(None, alias="accountId")
    type: str | None = None


class CloudTrailRecord(_Lenient):
    """One CloudTrail record, as found in trail files, LookupEvents and EventBridge `detail`."""

    event_version: str | None = Field(None, alias="eventVersion")
    event_id: str = Field(alias="eventID", min_length=1)
    event_time: str = Field(alias="eventTime", min_length=1)
    event_source: str = Field(alias="eventSource", min_length=1)
    event_name: str = Field(alias="eventName", min_length=1)
    event_type: str | None = Field(None, alias="eventType")
    event_category: str | None = Field(None, alias="eventCategory")
    aws_region: str = Field("", alias="awsRegion")
    recipient_account_id: str | None = Field(None, alias="recipientAccountId")
    source_ip_address: str | None = Field(None, alias="sourceIPAddress")
    user_agent: str | None = Field(None, alias="userAgent")
    user_identity: UserIdentity = Field(default_factory=UserIdentity, alias="userIdentity")
    request_parameters: dict[str, Any] | None = Field(None, alias="requestParameters")
    response_elements: dict[str, Any] | None = Field(None, alias="responseElements")
    additional_event_data: dict[str, Any] | None = Field(None, alias="additionalEventData")

    @field_validator(
        "request_parameters", "response_elements", "additional_event_data", mode="plain"
    )
    @classmethod
    def _object_or_null(cls, value: Any) -> dict[str, Any] | None:
        if value is None or isinstance(value, dict):
            return value
        raise ValueError(f"expected a JSON object or null, got {type(value).__name__}")
    resources: list[ResourceRef] | None = None
    read_only: bool | None = Field(None, alias="readOnly")
    error_code: str | None = Field(None, alias="errorCode")
    session_credential_from_console: str | bool | None = Field(
        None, alias="sessionCredentialFromConsole"
    )
    shared_event_id: str | None = Field(None, alias="sharedEventID")
