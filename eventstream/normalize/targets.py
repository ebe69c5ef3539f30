"""Evaluate a family's table rule against one call: which assets, which ids, what config."""

from __future__ import annotations

from typing import Any

from eventstream.models.event import Action, Resolution
from eventstream.normalize.context import Call, Touch
from eventstream.normalize.derived import resolve_arn
from eventstream.normalize.naming import AssetRef, Kind, parse_arn
from eventstream.normalize.rules import Assoc, Handler, Plan, Rule, Target, fetch, rule_targets


def apply_rule(rule: Rule, call: Call) -> list[Touch]:
    """All assets a rule finds in a call, merged by asset name, in order of first mention."""
    if isinstance(rule, Target):  # the common case: one target
        if rule.id_plans is not None:
            return _apply_planned(rule, rule.id_plans, call)  # one touch at most: no merge
        return merge(_apply_target(rule, call))
    listed = rule_targets(rule)
    found: list[Touch] = []
    if listed is None:
        found = rule(call)  # type: ignore[operator]
    else:
        for target in listed:
            found.extend(_apply_target(target, call))
    return merge(found)


def merge(touches: list[Touch]) -> list[Touch]:
    if len(touches) < 2:
        return list(touches)
    by_name: dict[str, Touch] = {}
    for touch in touches:
        seen = by_name.get(touch.ref.name)
        if seen is None:
            by_name[touch.ref.name] = touch
            continue
        seen.action = seen.action or touch.action
        seen.configuration = seen.configuration or touch.configuration
        seen.associations.extend(touch.associations)
    return list(by_name.values())


def _apply_target(target: Target, call: Call) -> list[Touch]:
    if target.id_plans is not None:
        return _apply_planned(target, target.id_plans, call)
    elements: list[Any] = call.walk(target.items_path) if target.items_path else [None]
    touches: list[Touch] = []
    for element in elements:
        values: list[Any] = []
        for path in target.id_paths:
            values = call.walk(path, element)
            if values:
                break
        for value in values:
            ref = call.ref(target.kind, value)
            if ref is not None:
                touches.append(_touch(target, call, element, ref))
    return touches


def _apply_planned(target: Target, id_plans: tuple[Plan, ...], call: Call) -> list[Touch]:
    """`_apply_target` for a target whose paths all have a `Plan`: each reaches one value."""
    roots = call.roots
    for root, keys in id_plans:
        value = roots[root]  # `fetch`, inline
        for key in keys:
            if not isinstance(value, dict):
                value = None
                break
            value = value.get(key)
            if value is None:
                break
        if value is None:
            continue
        ref = call.registry.resolve(target.kind, value, call.account, call.region)
        if ref is None:
            return []
        if target.config_plan is None and not target.assoc:
            return [Touch(ref, target.action)]
        configuration = None
        if target.config_plan is not None:
            found = fetch(roots, target.config_plan)
            if isinstance(found, dict) and found:
                configuration = found
        associations: list[tuple[str, AssetRef]] = []
        for assoc in target.assoc:
            other_value = fetch(roots, assoc.plan)  # type: ignore[arg-type]
            if other_value is not None:
                other = call.registry.resolve(assoc.kind, other_value, call.account, call.region)
                if other is not None and other.name != ref.name:
                    associations.append((assoc.relation, other))
        return [Touch(ref, target.action, configuration, associations)]
    return []


def _touch(target: Target, call: Call, element: Any, ref: AssetRef) -> Touch:
    configuration: dict[str, Any] | None = None
    if target.config_path is not None:
        configuration = next(
            (v for v in call.walk(target.config_path, element) if isinstance(v, dict) and v), None
        )
    associations: list[tuple[str, AssetRef]] = []
    for assoc in target.assoc:
        for value in call.walk(assoc.compiled, element):
            other = call.ref(assoc.kind, value)
            if other is not None and other.name != ref.name:
                associations.append((assoc.relation, other))
    return Touch(ref, target.action, configuration, associations)


def nested(
    kind: Kind,
    parent: Kind,
    parent_id: str | tuple[str, ...],
    child_id: str | tuple[str, ...],
    *,
    relation: str | None = None,
    default_parent: str | None = None,
    action: Action | None = None,
    config: str | None = None,
    assoc: tuple[Assoc, ...] = (),
) -> Handler:
    """A rule for an asset whose id lives inside its parent's: `<parent id>/<child>`.

    ECS services (`cluster/service`), EKS node groups (`cluster/nodegroup`), GuardDuty filters
    (`detector/filter`): the request names the child by its short name and the parent apart.
    A child value that is an ARN resolves through the kind's `from_arn`, which must give the same
    `<parent>/<child>` form; an ARN that omits the parent (ECS's short service ARNs) is completed
    with the parent the request names. `default_parent` stands in when the request names none
    (ECS's `default` cluster). `relation` associates the child with the parent its id names.
    """
    child = Target(kind, child_id, action=action, config=config, assoc=assoc)
    owner = Target(parent, parent_id)

    def rule(call: Call) -> list[Touch]:
        parents = [touch.ref for touch in _apply_target(owner, call)]
        if not parents and default_parent is not None:
            default = call.ref(parent, default_parent)
            parents = [default] if default is not None else []
        parent_ref = parents[0] if parents else None
        touches: list[Touch] = []
        for value in _first_values(child, call):
            ref = _child_ref(call, kind, value, parent_ref)
            if ref is None:
                continue
            touch = _touch(child, call, None, ref)
            owner_id = ref.provider_id.rpartition("/")[0]
            owner_ref = call.registry.resolve(parent, owner_id, ref.account, ref.region)
            if relation is not None and owner_ref is not None:
                touch.associations.insert(0, (relation, owner_ref))
            touches.append(touch)
        return touches

    return rule


def _first_values(target: Target, call: Call) -> list[Any]:
    for path in target.id_paths:
        values = call.walk(path)
        if values:
            return values
    return []


def _child_ref(call: Call, kind: Kind, value: Any, parent: AssetRef | None) -> AssetRef | None:
    if isinstance(value, str) and value.startswith("arn:"):
        ref = call.ref(kind, value)
        if ref is None or "/" in ref.provider_id or parent is None:
            return ref
        value = ref.provider_id
    if parent is None or not isinstance(value, str | int) or isinstance(value, bool):
        return None
    return call.ref(kind, f"{parent.provider_id}/{value}")


def generic_touches(call: Call) -> list[Touch]:
    """Fallback for calls no table knows: the record's `resources`, else ARNs it returns or names.

    Only ARNs of the called service count: a role ARN passed to `CreateDomain` is a setting of
    the domain, not the asset the call changed.

    The asset type is the specific one when an ARN matches a known kind (a family's, resolution
    `table`, or a derived type's, `derived`), and a `Generic` type otherwise (`generic`), so
    coverage of the tables stays measurable.
    """
    service = call.source.split(".", 1)[0]
    candidates = [r.arn for r in call.record.resources or () if r.arn]
    derived = call.registry.derived
    for arns in (
        candidates,
        top_level_arns(call.roots["response"]),
        top_level_arns(call.roots["request"]),
    ):
        touches: list[Touch] = []
        for value in arns:
            if _arn_service(value) != service:
                continue
            if derived is not None:
                found = resolve_arn(call.registry, derived, value, call.account, call.region)
                if found is not None:
                    touches.append(Touch(found[0], resolution=found[1]))
                continue
            ref = call.ref(None, value)
            if ref is not None:
                kind = Resolution.GENERIC if ref.generic else Resolution.TABLE
                touches.append(Touch(ref, resolution=kind))
        if touches:
            return merge(touches)
    return []


def _arn_service(value: str) -> str | None:
    arn = parse_arn(value)
    return arn.service if arn is not None else None


def top_level_arns(obj: Any) -> list[str]:
    found: list[str] = []
    if not isinstance(obj, dict):
        return found
    for value in obj.values():
        if isinstance(value, str) and value.startswith("arn:"):
            found.append(value)
        elif isinstance(value, dict):
            found.extend(v for v in value.values() if isinstance(v, str) and v.startswith("arn:"))
    return found
