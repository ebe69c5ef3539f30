"""What a rule sees of one call (`Call`) and what it reports back (`Touch`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventstream.models.cloudtrail import CloudTrailRecord
from eventstream.models.event import Action, Resolution
from eventstream.normalize.naming import AssetRef, Kind
from eventstream.normalize.rules import compile_path, walk

if TYPE_CHECKING:
    from eventstream.normalize.registry import Registry


@dataclass(slots=True)
class Touch:
    """One asset a call changed. `action=None` means: use the leading-verb rule.

    `resolution` says how the asset was resolved (`table`, `derived`, `generic`: the event's
    `data.asset.resolution`); None means by the call's rule, whatever kind of rule it is.
    `partial`: the configuration holds only what the call set (`configuration_source:
    event_partial`), to be merged over the configuration known before.
    """

    ref: AssetRef
    action: Action | None = None
    configuration: dict[str, Any] | None = None
    associations: list[tuple[str, AssetRef]] = field(default_factory=list)
    resolution: Resolution | None = None
    partial: bool = False  # the configuration is the part the call set (a policy, attributes)


class Call:
    """One mutating CloudTrail call, with the helpers rules and handlers use to read it.

    `record` is the validated model. The normalizer passes None for a record that
    `models.cloudtrail.is_plain` accepted (its raw values are the model's): the model is then
    built on first use only, which most calls never need.
    """

    __slots__ = ("_record", "account", "operation", "raw", "region", "registry", "roots", "source")

    def __init__(
        self,
        record: CloudTrailRecord | None,
        raw: dict[str, Any],
        operation: str,
        account: str,
        region: str,
        *,
        registry: Registry,
        source: str = "",
    ) -> None:
        self._record = record
        # the event source: the record's, or the one its ARNs name when it has none
        self.source = source or (record.event_source if record is not None else None) or ""
        self.raw = raw
        self.operation = operation
        self.account = account
        self.region = region
        self.registry = registry
        if record is None:
            get = raw.get
            self.roots: dict[str, Any] = {
                "request": get("requestParameters") or {},
                "response": get("responseElements") or {},
                "additional": get("additionalEventData") or {},
                "record": raw,
            }
        else:
            self.roots = {
                "request": record.request_parameters or {},
                "response": record.response_elements or {},
                "additional": record.additional_event_data or {},
                "record": raw,
            }

    @property
    def record(self) -> CloudTrailRecord:
        if self._record is None:
            self._record = CloudTrailRecord.model_validate(self.raw)
        return self._record

    def values(self, path: str, item: Any = None) -> list[Any]:
        """Every value at a dotted path (see `rules`); `@` paths are relative to `item`."""
        compiled = compile_path(path)
        return self.walk(compiled, item)

    def walk(self, compiled: tuple[tuple[str, bool], ...], item: Any = None) -> list[Any]:
        root_key, iterate = compiled[0]
        root = item if root_key == "@" else self.roots[root_key]
        if iterate and isinstance(root, list):
            return [v for element in root for v in walk(element, compiled)]
        return walk(root, compiled)

    def ref(self, kind: Kind | None, value: Any) -> AssetRef | None:
        """Resolve an id, name or ARN found in this call to an asset (None if it cannot be)."""
        return self.registry.resolve(kind, value, self.account, self.region)
