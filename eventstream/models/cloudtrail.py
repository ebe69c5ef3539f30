"""Lenient model of one CloudTrail record: declares the fields EventStream reads, ignores the rest.

The raw record itself travels beside the model (the event's `data.raw`), so nothing is lost by
ignoring undeclared fields here. `readOnly` and `errorCode` are read from the raw record by the
screen (`normalize.classify.screen`) before any model is built. Request, response and
additional data are checked to be JSON objects but not copied: they can be large, and
validation runs once per mutating record. `userIdentity` and `resources` are validated on first
use only.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


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
    """One CloudTrail record, as found in trail files, LookupEvents and EventBridge `detail`.

    `eventID` may be absent (older examples in AWS's documentation, some exporters): the
    normalizer then derives a deterministic id from the record's content. `eventSource` may be
    absent when the record's ARNs name the service. Every eventVersion 1.0x layout validates:
    fields added by later versions (`readOnly`, `recipientAccountId`, `eventType`,
    `resources`, ...) are all optional.
    """

    event_id: str | None = Field(None, alias="eventID")
    event_time: str = Field(alias="eventTime", min_length=1)
    event_source: str | None = Field(None, alias="eventSource")
    event_name: str = Field(alias="eventName", min_length=1)
    event_type: str | None = Field(None, alias="eventType")
    aws_region: str = Field("", alias="awsRegion")
    recipient_account_id: str | None = Field(None, alias="recipientAccountId")
    source_ip_address: str | None = Field(None, alias="sourceIPAddress")
    user_agent: str | None = Field(None, alias="userAgent")
    identity_fields: dict[str, Any] = Field(default_factory=dict, alias="userIdentity")
    request_parameters: dict[str, Any] | None = Field(None, alias="requestParameters")
    response_elements: dict[str, Any] | None = Field(None, alias="responseElements")
    additional_event_data: dict[str, Any] | None = Field(None, alias="additionalEventData")

    @field_validator("event_id", "event_source", mode="plain")
    @classmethod
    def _optional_text(cls, value: Any) -> str | None:
        """A string, or None for absent, null or empty (then derived: see the class)."""
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return value
        raise ValueError(f"expected a string, got {type(value).__name__}")

    @field_validator("resource_fields", mode="plain")
    @classmethod
    def _list_or_null(cls, value: Any) -> list[Any] | None:
        if value is None or isinstance(value, list):
            return value
        raise ValueError(f"expected a JSON array or null, got {type(value).__name__}")

    @cached_property
    def resources(self) -> list[ResourceRef]:
        """The record's `resources`, validated on first use; entries that are not objects or
        have no usable ARN are left out (the list is a hint, not the record's subject)."""
        found: list[ResourceRef] = []
        for entry in self.resource_fields or ():
            if isinstance(entry, dict) and isinstance(entry.get("ARN"), str):
                try:
                    found.append(ResourceRef.model_validate(entry))
                except ValidationError:
                    continue
        return found

    @field_validator("identity_fields", mode="plain")
    @classmethod
    def _identity_object(cls, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")

    @cached_property
    def user_identity(self) -> UserIdentity:
        """`userIdentity`, validated on first use (raises pydantic's `ValidationError`).

        Most records share their caller with many others, and attribution is memoized per
        caller, so the nested identity models are built only for callers not seen before.
        """
        return UserIdentity.model_validate(self.identity_fields)

    @field_validator(
        "request_parameters", "response_elements", "additional_event_data", mode="plain"
    )
    @classmethod
    def _object_or_null(cls, value: Any) -> dict[str, Any] | None:
        if value is None or isinstance(value, dict):
            return value
        raise ValueError(f"expected a JSON object or null, got {type(value).__name__}")

    resource_fields: list[Any] | None = Field(None, alias="resources")
    session_credential_from_console: str | bool | None = Field(
        None, alias="sessionCredentialFromConsole"
    )


# The fields of `CloudTrailRecord` by what `is_plain` accepts for them: (alias, field name).
PLAIN_REQUIRED = (
    ("eventID", "event_id"),
    ("eventTime", "event_time"),
    ("eventSource", "event_source"),
    ("eventName", "event_name"),
)
PLAIN_OPTIONAL_STR = (
    ("eventType", "event_type"),
    ("recipientAccountId", "recipient_account_id"),
    ("sourceIPAddress", "source_ip_address"),
    ("userAgent", "user_agent"),
)
PLAIN_OPTIONAL_OBJECT = (
    ("userIdentity", "identity_fields"),
    ("requestParameters", "request_parameters"),
    ("responseElements", "response_elements"),
    ("additionalEventData", "additional_event_data"),
)
PLAIN_OTHER = (
    ("awsRegion", "aws_region"),
    ("resources", "resource_fields"),
    ("sessionCredentialFromConsole", "session_credential_from_console"),
)


def is_plain(raw: dict[str, Any]) -> bool:
    """True when `CloudTrailRecord.model_validate(raw)` certainly succeeds and every field of the
    model equals the raw value under its alias (None or absent objects aside: `userIdentity`
    gives `{}`, `awsRegion` gives `""`, the others None).

    This is what the hot path of `normalize` checks instead of building the model: a record that
    is not plain (a value of another type, a non-ASCII required string, a field given by its
    Python name) goes through `model_validate`, which raises the same errors as ever or coerces
    the same way. It is stricter than validation, never looser: exact types only.
    """
    # Written out field by field (this runs once per mutating record); `PLAIN_*` list them and
    # a test checks that together they are exactly the model's fields.
    get = raw.get
    event_id, time, source, name = (
        get("eventID"),
        get("eventTime"),
        get("eventSource"),
        get("eventName"),
    )
    if not (  # each a non-empty `str`, ASCII (a lone surrogate would fail validation)
        type(event_id) is str
        and type(time) is str
        and type(source) is str
        and type(name) is str
        and event_id
        and time
        and source
        and name
        and event_id.isascii()
        and time.isascii()
        and source.isascii()
        and name.isascii()
    ):
        return False
    # An absent (or null) field must not be given by its Python name either: validation
    # would read it from there.
    value: Any = get("eventType")
    if type(value) is not str and (value is not None or "event_type" in raw):
        return False
    value = get("recipientAccountId")
    if type(value) is not str and (value is not None or "recipient_account_id" in raw):
        return False
    value = get("sourceIPAddress")
    if type(value) is not str and (value is not None or "source_ip_address" in raw):
        return False
    value = get("userAgent")
    if type(value) is not str and (value is not None or "user_agent" in raw):
        return False
    value = get("awsRegion")
    if type(value) is not str and (value is not None or "awsRegion" in raw or "aws_region" in raw):
        return False
    value = get("userIdentity")
    if not isinstance(value, dict) and (value is not None or "identity_fields" in raw):
        return False
    value = get("requestParameters")
    if not isinstance(value, dict) and (value is not None or "request_parameters" in raw):
        return False
    value = get("responseElements")
    if not isinstance(value, dict) and (value is not None or "response_elements" in raw):
        return False
    value = get("additionalEventData")
    if not isinstance(value, dict) and (value is not None or "additional_event_data" in raw):
        return False
    value = get("resources")
    if not isinstance(value, list) and (value is not None or "resource_fields" in raw):
        return False
    value = get("sessionCredentialFromConsole")
    if value is None:
        return "session_credential_from_console" not in raw
    return type(value) is str or type(value) is bool
