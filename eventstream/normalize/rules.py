"""The table language in which each service family describes its calls.

A family maps an operation (`RunInstances`) to a `Rule`: the assets the call touches, each a
`Target` naming its `Kind`, where its id is found in the record, optionally where the asset's
configuration and related assets are found, and an explicit action when the leading-verb rule
would be wrong (`DeleteBucketPolicy` updates the bucket).

Paths are dotted keys into the record: `request.` (requestParameters), `response.`
(responseElements), `additional.` (additionalEventData) or `record.` (the whole record). A
segment ending in `[]` steps into every element of a list (a single value counts as a list
of one, as records converted from XML hold it). With `items` set, the target yields
one asset per element of that list and paths beginning with `@` are relative to the element
(`@` alone is the element itself).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventstream.models.event import Action
from eventstream.normalize.naming import Kind

if TYPE_CHECKING:
    from eventstream.normalize.context import Call, Touch

Segment = tuple[str, bool]
CompiledPath = tuple[Segment, ...]
# A path that starts from a root of the call and steps into no list: (root, keys).
Plan = tuple[str, tuple[str, ...]]

_ROOTS = ("request", "response", "additional", "record", "@")


def compile_path(path: str) -> CompiledPath:
    """`response.instancesSet.items[].instanceId` → ((key, iterate), ...)."""
    segments: list[Segment] = []
    for part in path.split("."):
        if not part:
            raise ValueError(f"empty segment in path {path!r}")
        iterate = part.endswith("[]")
        segments.append((part[:-2] if iterate else part, iterate))
    if segments[0][0] not in _ROOTS:
        raise ValueError(f"path {path!r} must start with one of {_ROOTS}")
    return tuple(segments)


def plan(path: CompiledPath) -> Plan | None:
    """The `Plan` of a compiled path; None when it iterates (`[]`) or starts from `@`."""
    if path[0][0] == "@" or any(iterate for _, iterate in path):
        return None
    return path[0][0], tuple(key for key, _ in path[1:])


def plans(paths: Sequence[CompiledPath]) -> tuple[Plan, ...] | None:
    """The plans of several paths, or None unless every one has a plan."""
    found = tuple(plan(path) for path in paths)
    return None if None in found else found  # type: ignore[return-value]


def fetch(roots: Mapping[str, Any], path: Plan) -> Any:
    """The one value a planned path reaches, or None: `walk` of a path without `[]` gives
    `[value]` or `[]`."""
    value = roots[path[0]]
    for key in path[1]:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
        if value is None:
            return None
    return value


def walk(value: Any, segments: CompiledPath, start: int = 1) -> list[Any]:
    """Every value a compiled path reaches from `value`, skipping whatever is missing.

    `[]` on a single value treats it as a list of one: records converted from XML hold one
    element bare and several in a list.
    """
    current = [value]
    for key, iterate in segments[start:]:
        reached: list[Any] = []
        for node in current:
            child = node.get(key) if isinstance(node, dict) else None
            if child is None:
                continue
            if iterate and isinstance(child, list):
                reached.extend(child)
            else:
                reached.append(child)
        if not reached:
            return reached
        current = reached
    return [node for node in current if node is not None]


@dataclass(frozen=True, slots=True)
class Assoc:
    """A related asset named by the event: `relation` is read as "<asset> <relation> <other>".

    `kind=None` infers the kind from the value, as for `Target`.
    """

    relation: str
    kind: Kind | None
    path: str
    compiled: CompiledPath = field(init=False, repr=False, compare=False)
    plan: Plan | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", compile_path(self.path))
        object.__setattr__(self, "plan", plan(self.compiled))


@dataclass(frozen=True, slots=True)
class Target:
    """One asset (or one asset per list element) that a call touches.

    `kind=None` infers the kind from each value: an ARN's service and resource type, or an
    EC2-style id prefix (`CreateTags` on `i-...`, `vol-...`, `sg-...`).
    """

    kind: Kind | None
    id: str | tuple[str, ...]
    items: str | None = None
    action: Action | None = None
    config: str | None = None
    assoc: tuple[Assoc, ...] = ()
    id_paths: tuple[CompiledPath, ...] = field(init=False, repr=False, compare=False)
    items_path: CompiledPath | None = field(init=False, repr=False, compare=False)
    config_path: CompiledPath | None = field(init=False, repr=False, compare=False)
    # Set when no path of the target needs `walk` (no `items`, no `[]`, no `@`): the common case.
    id_plans: tuple[Plan, ...] | None = field(init=False, repr=False, compare=False)
    config_plan: Plan | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = (self.id,) if isinstance(self.id, str) else self.id
        object.__setattr__(self, "id_paths", tuple(compile_path(p) for p in ids))
        items = compile_path(self.items) if self.items else None
        object.__setattr__(self, "items_path", items)
        config = compile_path(self.config) if self.config else None
        object.__setattr__(self, "config_path", config)
        simple = items is None and (config is None or plan(config) is not None)
        simple = simple and all(assoc.plan is not None for assoc in self.assoc)
        object.__setattr__(self, "id_plans", plans(self.id_paths) if simple else None)
        object.__setattr__(self, "config_plan", plan(config) if simple and config else None)


Handler = Callable[["Call"], "list[Touch]"]
Rule = Target | tuple[Target, ...] | Handler


@dataclass(frozen=True, slots=True)
class Family:
    """One AWS service family: its event source(s), asset kinds, call table and ignore list.

    `ignore` lists mutating calls that change no asset (`SendCommand`, `StartSession`): they are
    counted as `non_asset`, never as unmapped.
    """

    name: str
    sources: tuple[str, ...]
    kinds: tuple[Kind, ...]
    rules: Mapping[str, Rule]
    ignore: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        overlap = self.ignore & set(self.rules)
        if overlap:
            raise ValueError(f"family {self.name}: calls both ruled and ignored: {sorted(overlap)}")


def targets(*items: Target) -> tuple[Target, ...]:
    """Several targets touched by one call (`AttachVolume`: the instance and the volume)."""
    return items


def rule_targets(rule: Rule) -> Sequence[Target] | None:
    """The targets of a table rule, or None when the rule is a handler function."""
    if isinstance(rule, Target):
        return (rule,)
    if isinstance(rule, tuple):
        return rule
    return None
