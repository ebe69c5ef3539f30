"""The outbound `AssetEvent`: a CloudEvents 1.0 JSON event about one asset change.

This model is the contract with every consumer: the JSON Schema in `schemas/` is generated
from it and the pipeline's output is validated against it in the test suite.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# 1.1: `data.asset.resolution`, `configuration_source: event_partial` (additive).
# 1.2: `configuration_source: cloudcontrol` and `sync` (additive).
SCHEMA_VERSION = "1.2"
SCHEMA_FILE = f"asset-event.v{SCHEMA_VERSION}.json"
DATASCHEMA = f"urn:eventstream:schema:asset-event:v{SCHEMA_VERSION}"
DEFAULT_TYPE_PREFIX = "io.eventstream"
TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class Method(StrEnum):
    """How the change was made."""

    PROVIDER = "provider"
    CLOUDFORMATION = "cloudformation"
    TERRAFORM = "terraform"
    CONSOLE = "console"
    CLI = "cli"
    SDK = "sdk"
    UNKNOWN = "unknown"


class Resolution(StrEnum):
    """How the asset of an event was resolved."""

    TABLE = "table"  # a service family's explicit table (or one of its kinds, by ARN)
    DERIVED = "derived"  # the derived resolver, from AWS's resource metadata
    GENERIC = "generic"  # the generic fallback: an ARN of a type no table knows


class ConfigurationSource(StrEnum):
    DESCRIBE = "describe"  # a describe call of the asset's own service, after the event
    CLOUDCONTROL = "cloudcontrol"  # Cloud Control `GetResource`, after the event (1.2)
    SYNC = "sync"  # an inventory sync's describe, not tied to an event (1.2)
    EVENT = "event"
    # the event carries part of the configuration (the keys it sets: a resource policy, the
    # attributes set); the inventory merges it over the configuration known before (1.1)
    EVENT_PARTIAL = "event_partial"
    NONE = "none"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Asset(_Strict):
    name: str = Field(description="Stable asset name; equals the CloudEvents `subject`.")
    type: str = Field(description="CloudFormation-style type, e.g. AWS::EC2::Instance.")
    provider: Literal["aws"]
    provider_id: str = Field(description="The provider's identifier: an id, a name or an ARN.")
    arn: str | None
    account: str
    region: str = Field(description="Opaque region string; `global` for global services.")
    resolution: Resolution = Field(
        description="How the asset was resolved: `table` (a service family's explicit table),"
        " `derived` (from AWS's resource metadata) or `generic` (an ARN of a type no table knows)."
    )


class Change(_Strict):
    action: Action
    operation: str = Field(
        description="The provider's API call, e.g. AuthorizeSecurityGroupIngress."
    )
    service: str = Field(description="The provider's service endpoint, e.g. ec2.amazonaws.com.")


class Principal(_Strict):
    type: str | None
    id: str | None
    arn: str | None
    account: str | None
    name: str | None = Field(description="User name, or the session name of an assumed role.")


class Attribution(_Strict):
    method: Method
    ip: str | None
    user_agent: str | None
    principal: Principal
    assumed_role: str | None = Field(description="ARN of the role behind a session.")
    session_name: str | None
    invoked_by: str | None
    mfa: bool | None


class Association(_Strict):
    relation: str
    name: str = Field(description="Stable asset name of the related asset.")
    type: str


class PatchOperation(_Strict):
    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: str
    value: Any = None
    from_: str | None = Field(None, alias="from")


class AssetEventData(_Strict):
    asset: Asset
    change: Change
    attribution: Attribution
    associations: list[Association]
    configuration: dict[str, Any] | None
    configuration_source: ConfigurationSource
    previous_configuration: dict[str, Any] | None
    changes: list[PatchOperation] | None = Field(
        description="RFC 6902 JSON Patch from previous to new configuration, when both are known."
    )
    raw: dict[str, Any] = Field(description="The provider's event, unchanged.")


class AssetEvent(_Strict):
    """One change to one asset, as a CloudEvents 1.0 event in JSON format."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        title="AssetEvent",
        json_schema_extra={"$id": DATASCHEMA},
    )

    specversion: Literal["1.0"]
    id: str = Field(
        min_length=1, description="Stable: derived from the provider event id and the asset name."
    )
    source: str = Field(min_length=1, description="aws/<account>/<region>")
    type: str = Field(pattern=r"^.+\.asset\.(create|update|delete)$")
    subject: str = Field(min_length=1, description="The stable asset name.")
    time: str = Field(pattern=TIME_PATTERN, description="Provider event time, RFC 3339 UTC, ms, Z.")
    datacontenttype: Literal["application/json"]
    dataschema: str
    data: AssetEventData


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `AssetEvent`, as committed under `schemas/`."""
    schema = AssetEvent.model_json_schema(by_alias=True, mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
