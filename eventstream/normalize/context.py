"""What a rule sees of one call (`Call`) and what it reports back (`Touch`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventstream.models.cloudtrail import CloudTrailRecord
from eventstream.models.event import Action
from eventstream.normalize.naming import AssetRef, Kind
from eventstream.normalize.rules import compile_path, walk

if TYPE_CHECKING:
    from eventstream.normalize.registry import Registry


@dataclass(slots=True)
class Touch:
    """One asset a call changed. `action=None` means: use the leading-verb rule."""

    ref: AssetRef
    action: Action | None = None
    configuration: dict[str, Any] | None = None
    associations: list[tuple[str, AssetRef]] = field(default_factory=list)


@dataclass(slots=True)
class Call:
    """One mutating CloudTrail call, with the helpers rules and handlers use to read it."""

    record: CloudTrailRecord
    raw: dict[str, Any]
    operation: str
    account: str
    region: str
    registry: Registry
    roots: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.roots = {
            "request": self.record.request_parameters or {},
            "response": self.record.response_elements or {},
            "additional": self.record.additional_event_data or {},
            "record": self.raw,
        }

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
