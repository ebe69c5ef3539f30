"""The normalizer: one raw record (CloudTrail record or EventBridge envelope) → asset events.

Pure: no I/O, no awaits. Raises only `MalformedRecordError`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from eventstream.errors import MalformedRecordError
from eventstream.models.cloudtrail import CloudTrailRecord
from eventstream.models.event import DATASCHEMA, DEFAULT_TYPE_PREFIX, Action, ConfigurationSource
from eventstream.models.eventbridge import (
    API_CALL_DETAIL_TYPE,
    INSTANCE_STATE_DETAIL_TYPE,
    EventBridgeEnvelope,
    looks_like_envelope,
)
from eventstream.normalize.attribution import Attributions, provider_attribution
from eventstream.normalize.classify import Outcome, base_operation, screen, verb_action
from eventstream.normalize.context import Call
from eventstream.normalize.naming import AssetRef, rfc3339_millis
from eventstream.normalize.registry import Registry
from eventstream.normalize.resources.ec2 import INSTANCE
from eventstream.normalize.targets import apply_rule, generic_touches

_ID_NAMESPACE = uuid.UUID("6f1d7c9e-5a0b-4f0e-9a52-2f6f3c1e8b47")
_NAMESPACE_BYTES = _ID_NAMESPACE.bytes
_INSTANCE_STATE_OPERATION = "EC2InstanceStateChange"
_VERB_MEMO_SIZE = 4_096


@dataclass(slots=True)
class Result:
    """What one record produced. `reason` explains an unmapped record.

    Results and their events are read-only once returned: records skipped by the screen (most of
    a trail) all share one result per outcome, with no operation named.
    """

    outcome: Outcome
    events: Sequence[dict[str, Any]] = field(default_factory=list)
    operation: str = ""
    reason: str = ""


_SCREENED = {outcome: Result(outcome, ()) for outcome in Outcome}


def event_id(provider_event_id: str, asset_name: str) -> str:
    """Stable CloudEvents id: the same provider event and asset always give the same id.

    Equal to `str(uuid.uuid5(_ID_NAMESPACE, f"{provider_event_id}\\n{asset_name}"))`, computed
    without building `UUID` objects (this runs once per event).
    """
    digest = bytearray(
        hashlib.sha1(_NAMESPACE_BYTES + f"{provider_event_id}\n{asset_name}".encode()).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Normalizer:
    """Turns raw records into `AssetEvent` dicts, using one `Registry` of service families."""

    def __init__(self, registry: Registry, type_prefix: str = DEFAULT_TYPE_PREFIX) -> None:
        self.registry = registry
        self.type_prefix = type_prefix
        self._types = {action: f"{type_prefix}.asset.{action.value}" for action in Action}
        self._attribution = Attributions()
        self._verbs: dict[str, Action | None] = {}

    def _verb_action(self, operation: str) -> Action | None:
        """`verb_action`, remembered per operation (a trail uses a few hundred)."""
        if operation not in self._verbs:
            if len(self._verbs) >= _VERB_MEMO_SIZE:
                self._verbs.clear()
            self._verbs[operation] = verb_action(operation)
        return self._verbs[operation]

    def normalize(self, raw: Any) -> Result:
        if not isinstance(raw, dict):
            raise MalformedRecordError(f"expected a JSON object, got {type(raw).__name__}")
        if looks_like_envelope(raw):
            return self._envelope(raw)
        skipped = screen(raw)  # first and inline: most records stop here
        if skipped is not None:
            return _SCREENED[skipped]
        return self._change(raw)

    def _record(self, raw: dict[str, Any]) -> Result:
        skipped = screen(raw)
        if skipped is not None:
            return _SCREENED[skipped]
        return self._change(raw)

    def _change(self, raw: dict[str, Any]) -> Result:
        """A record that passed the screen: validate it and apply its family's rule."""
        record = _validate_record(raw)
        operation = base_operation(record.event_name)
        source = record.event_source
        if self.registry.ignored(source, operation):
            return Result(Outcome.NON_ASSET, operation=record.event_name)
        caller_account = record.identity_fields.get("accountId")
        account = record.recipient_account_id or (
            caller_account if isinstance(caller_account, str) else ""
        )
        call = Call(record, raw, operation, account, record.aws_region, self.registry)
        rule = self.registry.rule(source, operation)
        touches = apply_rule(rule, call) if rule is not None else generic_touches(call)
        if not touches:
            why = "no asset id found by its rule" if rule is not None else "no rule and no ARN"
            return Result(Outcome.UNMAPPED, operation=record.event_name, reason=why)
        time = _event_time(record.event_time)
        attribution = self._attribution.of(record, raw)
        events: list[dict[str, Any]] = []
        implied = self._verb_action(operation)
        for touch in touches:
            action = touch.action or implied
            if action is None:
                return Result(
                    Outcome.UNMAPPED,
                    operation=record.event_name,
                    reason=f"unknown verb in {operation}",
                )
            events.append(
                self.build(
                    provider_event_id=record.event_id,
                    ref=touch.ref,
                    action=action,
                    operation=record.event_name,
                    service=record.event_source,
                    time=time,
                    attribution=attribution,
                    associations=touch.associations,
                    configuration=touch.configuration if action is not Action.DELETE else None,
                    raw=raw,
                )
            )
        return Result(Outcome.CHANGE, events, operation=record.event_name)

    def build(
        self,
        *,
        provider_event_id: str,
        ref: AssetRef,
        action: Action,
        operation: str,
        service: str,
        time: str,
        attribution: dict[str, Any],
        associations: list[tuple[str, AssetRef]],
        configuration: dict[str, Any] | None,
        raw: dict[str, Any],
    ) -> dict[str, Any]:
        """Assemble one `AssetEvent` as a plain dict (serialized by the codec, checked in tests)."""
        related: list[dict[str, str]] = []
        seen: set[tuple[str, str]] = set()
        for relation, other in associations:
            if (relation, other.name) not in seen:
                seen.add((relation, other.name))
                related.append({"relation": relation, "name": other.name, "type": other.type})
        return {
            "specversion": "1.0",
            "id": event_id(provider_event_id, ref.name),
            "source": f"aws/{ref.account}/{ref.region}",
            "type": self._types[action],
            "subject": ref.name,
            "time": time,
            "datacontenttype": "application/json",
            "dataschema": DATASCHEMA,
            "data": {
                "asset": ref.as_dict(),
                "change": {"action": action, "operation": operation, "service": service},
                "attribution": attribution,
                "associations": related,
                "configuration": configuration,
                "configuration_source": (
                    ConfigurationSource.EVENT
                    if configuration is not None
                    else ConfigurationSource.NONE
                ),
                "previous_configuration": None,
                "changes": None,
                "raw": raw,
            },
        }

    def _envelope(self, raw: dict[str, Any]) -> Result:
        try:
            envelope = EventBridgeEnvelope.model_validate(raw)
        except ValidationError as error:
            raise MalformedRecordError(f"invalid EventBridge envelope: {_summary(error)}") from None
        if envelope.detail_type == API_CALL_DETAIL_TYPE:
            return self._record(envelope.detail)
        if envelope.detail_type == INSTANCE_STATE_DETAIL_TYPE:
            return self._instance_state(envelope, raw)
        return Result(Outcome.NATIVE_SKIPPED, operation=envelope.detail_type)

    def _instance_state(self, envelope: EventBridgeEnvelope, raw: dict[str, Any]) -> Result:
        instance_id = envelope.detail.get("instance-id")
        ref = self.registry.resolve(INSTANCE, instance_id, envelope.account, envelope.region)
        if ref is None:
            return Result(
                Outcome.UNMAPPED,
                operation=envelope.detail_type,
                reason="state-change notification without an instance-id",
            )
        event = self.build(
            provider_event_id=envelope.id,
            ref=ref,
            action=Action.UPDATE,
            operation=_INSTANCE_STATE_OPERATION,
            service=envelope.source,
            time=_event_time(envelope.time),
            attribution=provider_attribution("ec2.amazonaws.com"),
            associations=[],
            configuration=None,
            raw=raw,
        )
        return Result(Outcome.CHANGE, [event], operation=envelope.detail_type)


def _validate_record(raw: dict[str, Any]) -> CloudTrailRecord:
    try:
        return CloudTrailRecord.model_validate(raw)
    except ValidationError as error:
        raise MalformedRecordError(f"invalid CloudTrail record: {_summary(error)}") from None


def _event_time(value: str) -> str:
    try:
        return rfc3339_millis(value)
    except ValueError:
        raise MalformedRecordError(f"unreadable event time {value[:40]!r}") from None


def _summary(error: ValidationError) -> str:
    parts = []
    for detail in error.errors()[:3]:
        where = ".".join(str(p) for p in detail["loc"]) or "record"
        parts.append(f"{where}: {detail['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
