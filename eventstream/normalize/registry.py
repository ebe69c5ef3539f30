"""All service families, indexed: by event source and operation, by ARN shape, by id prefix."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from eventstream.normalize.ignored import IGNORED, Ignored
from eventstream.normalize.naming import AssetRef, Kind, generic_kind, make_ref, parse_arn
from eventstream.normalize.rules import Family, Rule

if TYPE_CHECKING:
    from eventstream.normalize.derived import DerivedRule, DerivedTable, DerivedType

_REF_CACHE_SIZE = 65_536  # entries; the cache is emptied when full
_MISSING = object()


class Registry:
    """Lookup tables built once from a set of families, and a bounded memo of resolved names.

    `derived` is the derived resolver's table (`normalize.derived`), consulted for calls no
    family has a rule for; None turns derivation off (calls then fall to the generic rule).
    """

    def __init__(self, families: Iterable[Family], derived: DerivedTable | None = None) -> None:
        self.families = tuple(families)
        self.derived = derived
        self._by_type: dict[str, Kind] = {}
        self._derived_kinds: dict[str, Kind] = {}
        self._rules: dict[tuple[str, str], Rule] = {}
        self._ignored: set[tuple[str, str]] = set()
        self._by_arn: dict[tuple[str, str], Kind] = {}
        self._by_prefix: dict[str, Kind] = {}
        self._sources: set[str] = set()
        # Rules and ignored calls in one table, for one lookup per call (ignored ones win).
        self._calls: dict[tuple[str, str], Rule | Ignored] = {}
        # Resolution is pure, and trails name the same assets again and again: memoize it.
        self._refs: dict[tuple[Kind | None, str, str, str], AssetRef | object | None] = {}
        for family in self.families:
            self._add(family)
        self._calls.update(self._rules)
        self._calls.update(dict.fromkeys(self._ignored, IGNORED))

    def _add(self, family: Family) -> None:
        for source in family.sources:
            self._sources.add(source)
            for operation, rule in family.rules.items():
                key = (source, operation)
                if key in self._rules:
                    raise ValueError(f"two rules for {source} {operation}")
                self._rules[key] = rule
            self._ignored.update((source, operation) for operation in family.ignore)
        for kind in family.kinds:
            self._by_type.setdefault(kind.type, kind)
            if kind.arn_resource is not None:
                arn_key = (kind.arn_service or kind.service, kind.arn_resource)
                self._by_arn.setdefault(arn_key, kind)
            if kind.id_prefix:
                self._by_prefix.setdefault(kind.id_prefix, kind)

    def rule(self, source: str, operation: str) -> Rule | None:
        return self._rules.get((source, operation))

    def ignored(self, source: str, operation: str) -> bool:
        return (source, operation) in self._ignored

    def lookup(self, source: str, operation: str) -> Rule | Ignored | None:
        """`IGNORED` if `ignored(...)`, else `rule(...)`: both in one dict lookup."""
        return self._calls.get((source, operation))

    def derived_rule(self, source: str, operation: str) -> DerivedRule | Ignored | None:
        """The derived table's rule for a call, when derivation is on and it has one."""
        return self.derived.rule(source, operation) if self.derived is not None else None

    def kind_for_type(self, type_name: str) -> Kind | None:
        """The kind a family defines for a CloudFormation type, if one does."""
        return self._by_type.get(type_name)

    def derived_kind(self, derived: DerivedType) -> Kind:
        """The one `Kind` of a derived type (kinds compare by identity: made once)."""
        kind = self._derived_kinds.get(derived.type)
        if kind is None:
            kind = self._derived_kinds[derived.type] = derived.kind()
        return kind

    def kind_for_id(self, value: str) -> Kind | None:
        """The kind of an EC2-style id such as `i-0abc` or `subnet-0abc`."""
        dash = value.find("-")
        return self._by_prefix.get(value[: dash + 1]) if dash > 0 else None

    def kind_for_arn(self, service: str, resource_type: str) -> Kind | None:
        return self._by_arn.get((service, resource_type)) or (
            self._by_arn.get((service, "")) if resource_type else None
        )

    def resolve(self, kind: Kind | None, value: Any, account: str, region: str) -> AssetRef | None:
        """An id, name or ARN → the asset it names; None when nothing can be made of it."""
        if type(value) is not str:
            if isinstance(value, dict) and "content" in value:
                value = value["content"]  # XML-derived records: {"content": "fl-0abc", "tag": 1}
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str):
                return None
        if not value:
            return None
        key = (kind, value, account, region)
        ref = self._refs.get(key, _MISSING)
        if ref is _MISSING:
            ref = self._resolve(kind, value, account, region)
            if len(self._refs) >= _REF_CACHE_SIZE:
                self._refs.clear()
            self._refs[key] = ref
        return ref  # type: ignore[return-value]

    def _resolve(self, kind: Kind | None, value: str, account: str, region: str) -> AssetRef | None:
        if value.startswith("arn:"):
            return self._resolve_arn(kind, value, account, region)
        if kind is None:
            kind = self.kind_for_id(value)
            if kind is None:
                return None
        canonical = kind.canonical(value)
        return make_ref(kind, canonical, account, region) if canonical else None

    def _resolve_arn(
        self, kind: Kind | None, value: str, account: str, region: str
    ) -> AssetRef | None:
        arn = parse_arn(value)
        if arn is None:
            return None
        rtype = arn.resource_type
        matches = (
            kind is not None
            and (kind.arn_service or kind.service) == arn.service
            and (kind.arn_resource in (rtype, ""))
        )
        found = kind if matches else self.kind_for_arn(arn.service, rtype)
        if found is None:
            found = generic_kind(arn.service, rtype)
        rest = arn.resource_rest if found.arn_resource else arn.resource
        canonical = found.from_arn(rest)
        if not canonical:
            return None
        return make_ref(found, canonical, arn.account or account, arn.region or region, arn=value)
