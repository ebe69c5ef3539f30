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

from eventstream import codec
from eventstream.errors import MalformedRecordError
from eventstream.models.cloudtrail import CloudTrailRecord, is_plain
from eventstream.models.event import (
    DATASCHEMA,
    DEFAULT_TYPE_PREFIX,
    Action,
    ConfigurationSource,
    Resolution,
)
from eventstream.models.eventbridge import (
    API_CALL_DETAIL_TYPE,
    INSTANCE_STATE_DETAIL_TYPE,
    EventBridgeEnvelope,
)
from eventstream.normalize.attribution import Attributions, provider_attribution
from eventstream.normalize.classify import Outcome, base_operation, screen, verb_action
from eventstream.normalize.context import Call
from eventstream.normalize.derived import DerivedRule
from eventstream.normalize.ignored import IGNORED, Ignored
from eventstream.normalize.naming import AssetRef, parse_arn, rfc3339_millis
from eventstream.normalize.registry import Registry
from eventstream.normalize.resources.ec2 import INSTANCE
from eventstream.normalize.rules import Rule
from eventstream.normalize.targets import apply_rule, generic_touches, top_level_arns

_ID_NAMESPACE = uuid.UUID("6f1d7c9e-5a0b-4f0e-9a52-2f6f3c1e8b47")
_NAMESPACE_BYTES = _ID_NAMESPACE.bytes
_NAMESPACE_SHA1 = hashlib.sha1(_NAMESPACE_BYTES)
# The RFC 4122 variant bits over the first hex digit of the clock sequence: 10xx.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
_INSTANCE_STATE_OPERATION = "EC2InstanceStateChange"
_VERB_MEMO_SIZE = 4_096
_ASSET_MEMO_SIZE = 65_536
_TIME_MEMO_SIZE = 4_096
_CALL_MEMO_SIZE = 4_096
_UNKNOWN: Any = object()
# Enum members used per record, as module constants (attribute access on an Enum class is slow).
_CHANGE = Outcome.CHANGE
_NON_ASSET = Outcome.NON_ASSET
_UNMAPPED = Outcome.UNMAPPED
_DELETE = Action.DELETE
_FROM_EVENT = ConfigurationSource.EVENT
_PART_FROM_EVENT = ConfigurationSource.EVENT_PARTIAL
_NO_CONFIG = ConfigurationSource.NONE
_BY_TABLE = Resolution.TABLE
_BY_DERIVATION = Resolution.DERIVED


# What the events of one record share: provider event id, operation, service, time,
# attribution, raw record.
_Common = tuple[str, str, str, str, dict[str, Any], dict[str, Any]]


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
    without building `UUID` objects (this runs once per event): the SHA-1 of the namespace is
    taken once, and the version and variant bits are set on the hex digits.
    """
    sha = _NAMESPACE_SHA1.copy()
    sha.update(f"{provider_event_id}\n{asset_name}".encode())
    h = sha.hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


class Normalizer:
    """Turns raw records into `AssetEvent` dicts, using one `Registry` of service families."""

    def __init__(self, registry: Registry, type_prefix: str = DEFAULT_TYPE_PREFIX) -> None:
        self.registry = registry
        self.type_prefix = type_prefix
        self._types = {action: f"{type_prefix}.asset.{action.value}" for action in Action}
        self._attribution = Attributions()
        self._verbs: dict[str, Action | None] = {}
        self._times: dict[str, str] = {}  # event time as recorded → RFC 3339 with millis
        # (event source, event name) → (operation, `Registry.lookup` of it, else the derived
        # table's rule for it)
        self._calls: dict[tuple[str, str], tuple[str, Rule | Ignored | None]] = {}
        # Per asset name: the resolved asset, its `asset` object and its event `source` (the
        # objects are shared by all events of the asset resolved the same way).
        self._assets: dict[str, tuple[AssetRef, dict[str, str | None], str]] = {}

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
        if "detail-type" in raw and "detail" in raw:  # an EventBridge envelope, not a record
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
        record, provider_event_id, event_time, source, event_name, region, account = _read(
            raw, self.registry
        )
        time = self._times.get(event_time)
        if time is None:  # checked before anything else: an unreadable time is malformed
            time = _event_time(event_time)
            if len(self._times) >= _TIME_MEMO_SIZE:
                self._times.clear()
            self._times[event_time] = time
        call_key = (source, event_name)
        known = self._calls.get(call_key)
        if known is None:
            operation = base_operation(event_name)
            found = self.registry.lookup(source, operation)
            if found is None:
                found = self.registry.derived_rule(source, operation)
            known = (operation, found)
            if len(self._calls) >= _CALL_MEMO_SIZE:
                self._calls.clear()
            self._calls[call_key] = known
        operation, rule = known
        if rule is IGNORED:
            return Result(_NON_ASSET, [], event_name)
        call = Call(record, raw, operation, account, region, registry=self.registry, source=source)
        touches = apply_rule(rule, call) if rule is not None else generic_touches(call)
        if not touches:
            return Result(_UNMAPPED, [], event_name, _no_asset_reason(rule))
        attribution = self._attribution.of(record, raw)
        implied = self._verbs.get(operation, _UNKNOWN)
        if implied is _UNKNOWN:
            implied = self._verb_action(operation)
        common = (provider_event_id, event_name, source, time, attribution, raw)
        by_rule = _BY_DERIVATION if type(rule) is DerivedRule else _BY_TABLE
        events: list[dict[str, Any]] = []
        for touch in touches:
            action = touch.action or implied
            if action is None:
                return Result(_UNMAPPED, [], event_name, f"unknown verb in {operation}")
            configuration = touch.configuration if action is not _DELETE else None
            resolution = touch.resolution or by_rule
            event = self._build(
                common, touch.ref, action, touch.associations, configuration, resolution=resolution
            )
            if touch.partial and configuration is not None:
                event["data"]["configuration_source"] = _PART_FROM_EVENT
            events.append(event)
        return Result(_CHANGE, events, event_name)

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
        resolution: Resolution = Resolution.TABLE,
    ) -> dict[str, Any]:
        """Assemble one `AssetEvent` as a plain dict (serialized by the codec, checked in tests)."""
        common = (provider_event_id, operation, service, time, attribution, raw)
        return self._build(common, ref, action, associations, configuration, resolution=resolution)

    def _build(
        self,
        common: _Common,
        ref: AssetRef,
        action: Action,
        associations: list[tuple[str, AssetRef]],
        configuration: dict[str, Any] | None,
        *,
        resolution: Resolution,
    ) -> dict[str, Any]:
        """`build`, with what all events of one record share in one tuple."""
        provider_event_id, operation, service, time, attribution, raw = common
        related: list[dict[str, str]] = []
        if associations:
            seen: set[tuple[str, str]] = set()
            for relation, other in associations:
                if (relation, other.name) not in seen:
                    seen.add((relation, other.name))
                    related.append({"relation": relation, "name": other.name, "type": other.type})
        name = ref.name
        known = self._assets.get(name)
        if (
            known is None
            or (known[0] is not ref and known[0] != ref)
            or known[1]["resolution"] is not resolution
        ):
            if len(self._assets) >= _ASSET_MEMO_SIZE:
                self._assets.clear()
            asset: dict[str, str | None] = ref.as_dict()
            asset["resolution"] = resolution
            known = self._assets[name] = (ref, asset, f"aws/{ref.account}/{ref.region}")
        return {
            "specversion": "1.0",
            "id": event_id(provider_event_id, name),
            "source": known[2],
            "type": self._types[action],
            "subject": name,
            "time": time,
            "datacontenttype": "application/json",
            "dataschema": DATASCHEMA,
            "data": {
                "asset": known[1],
                "change": {"action": action, "operation": operation, "service": service},
                "attribution": attribution,
                "associations": related,
                "configuration": configuration,
                "configuration_source": _FROM_EVENT if configuration is not None else _NO_CONFIG,
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


def _no_asset_reason(rule: Rule | Ignored | None) -> str:
    if rule is None:
        return "no rule and no ARN"
    if type(rule) is DerivedRule:
        return "no asset id found by the derived rule"
    return "no asset id found by its rule"


def content_event_id(raw: dict[str, Any]) -> str:
    """The provider event id of a record that has none: a UUIDv5 (EventStream's namespace) of
    the record's canonical JSON (keys sorted, compact), so the same record always gets the same
    id and dedup holds across deliveries, and different records get different ids."""
    try:
        content = codec.dumps_sorted(raw)
    except (TypeError, ValueError) as error:  # keys of mixed types: not a parsed document
        raise MalformedRecordError(f"no eventID, and no canonical JSON of it: {error}") from None
    sha = _NAMESPACE_SHA1.copy()
    sha.update(content)
    h = sha.hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def _read(
    raw: dict[str, Any], registry: Registry
) -> tuple[CloudTrailRecord | None, str, str, str, str, str, str]:
    """The record (None when it is plain: `is_plain`) and the fields normalizing reads from it:
    event id, event time, event source, event name, region and account.

    Lenient with older layouts: a missing `eventID` is derived from the content
    (`content_event_id`), a missing `eventSource` from the service the record's ARNs name, a
    missing account (no `recipientAccountId`, no `userIdentity.accountId`) from the caller's
    ARN."""
    if is_plain(raw):  # the model would hold the raw values as they are: read them
        identity = raw.get("userIdentity")
        caller_account = identity.get("accountId") if identity else None
        recipient: str | None = raw.get("recipientAccountId")
        account = recipient or (caller_account if isinstance(caller_account, str) else "")
        return (
            None,
            raw["eventID"],
            raw["eventTime"],
            raw["eventSource"],
            raw["eventName"],
            raw.get("awsRegion", ""),
            account or _caller_arn_account(identity),
        )
    record = _validate_record(raw)
    caller_account = record.identity_fields.get("accountId")
    account = record.recipient_account_id or (
        caller_account if isinstance(caller_account, str) else ""
    )
    source = record.event_source or _source_from_arns(record, registry)
    if source is None:
        raise MalformedRecordError("no eventSource, and no ARN in the record names the service")
    return (
        record,
        record.event_id or content_event_id(raw),
        record.event_time,
        source,
        record.event_name,
        record.aws_region,
        account or _caller_arn_account(record.identity_fields),
    )


def _caller_arn_account(identity: Any) -> str:
    """The account in the caller's ARN (`arn:aws:iam::123456789012:user/Alice`), or ""."""
    value = identity.get("arn") if isinstance(identity, dict) else None
    arn = parse_arn(value) if isinstance(value, str) else None
    return arn.account if arn is not None else ""


def _source_from_arns(record: CloudTrailRecord, registry: Registry) -> str | None:
    """The event source of the service the record's ARNs name: its `resources` first, then the
    ARNs of its request and response (the first one that parses)."""
    values = [r.arn for r in record.resources if r.arn]
    values += top_level_arns(record.request_parameters) + top_level_arns(record.response_elements)
    for value in values:
        arn = parse_arn(value)
        if arn is None:
            continue
        derived = registry.derived
        known = derived.source_for_arn(arn.service, arn.resource) if derived is not None else None
        return known or f"{arn.service}.amazonaws.com"
    return None


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
