"""Lenient model of an EventBridge envelope."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

API_CALL_DETAIL_TYPE = "AWS API Call via CloudTrail"
INSTANCE_STATE_DETAIL_TYPE = "EC2 Instance State-change Notification"


class EventBridgeEnvelope(BaseModel):
    """The envelope EventBridge wraps around every event it delivers."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    version: str | None = None
    id: str = Field(min_length=1)
    detail_type: str = Field(alias="detail-type", min_length=1)
    source: str = Field(min_length=1)
    account: str = ""
    time: str = Field(min_length=1)
    region: str = ""
    resources: list[str] = Field(default_factory=list)
    detail: dict[str, Any] = Field(default_factory=dict)
