"""CloudFormation: stacks and stack sets.

A stack is named by its name or by its stack id, an ARN `stack/<name>/<uuid>`: its id is the name
(the uuid tells apart stacks created again under the same name; the asset name does not). A stack
set is named by its name, its id `<name>:<uuid>` or its ARN `stackset/<name>:<uuid>`: its id is
the name. Change sets are part of their stack: creating, executing or deleting one is an update of
the stack, except that a change set of type `CREATE` creates the stack (in `REVIEW_IN_PROGRESS`).
`ExecuteChangeSet` naming the change set by ARN alone, without `stackName`, names no stack (the
change set ARN does not carry it) and stays unmapped. Stack instances are part of their set.
"""

from __future__ import annotations

from eventstream.models.event import Action
from eventstream.normalize.context import Call, Touch
from eventstream.normalize.naming import Kind
from eventstream.normalize.rules import Assoc, Family, Rule, Target
from eventstream.normalize.targets import apply_rule


def _first_segment(rest: str) -> str:
    """`name/uuid` → `name`."""
    return rest.split("/", 1)[0]


def _stack_set_name(value: str) -> str:
    """`name:uuid` (a stack set id) → `name`."""
    return value.split(":", 1)[0]


STACK = Kind(
    type="AWS::CloudFormation::Stack",
    service="cloudformation",
    slug="stack",
    arn_resource="stack",
    from_arn=_first_segment,
)
STACK_SET = Kind(
    type="AWS::CloudFormation::StackSet",
    service="cloudformation",
    slug="stack-set",
    arn_resource="stackset",
    from_arn=_stack_set_name,
    canonical=_stack_set_name,
)

_STACK = "request.stackName"
_STACK_SET = "request.stackSetName"
# the service role CloudFormation assumes to act on the stack's resources
_ROLE = (Assoc("Assumes Role", None, "request.roleARN"),)


def _stack(path: str | tuple[str, ...] = _STACK, *, action: Action | None = None) -> Target:
    return Target(STACK, path, action=action)


def _stack_set(action: Action | None = None) -> Target:
    return Target(STACK_SET, _STACK_SET, action=action)


_CHANGE_SET_CREATES = _stack(("response.stackId", _STACK), action=Action.CREATE)
_CHANGE_SET_UPDATES = _stack(("response.stackId", _STACK), action=Action.UPDATE)


def _create_change_set(call: Call) -> list[Touch]:
    """A change set of type `CREATE` creates its stack; any other updates it."""
    kind = call.roots["request"].get("changeSetType")
    return apply_rule(_CHANGE_SET_CREATES if kind == "CREATE" else _CHANGE_SET_UPDATES, call)


_RULES: dict[str, Rule] = {
    "CreateStack": Target(STACK, ("response.stackId", _STACK), assoc=_ROLE),
    "UpdateStack": Target(STACK, ("response.stackId", _STACK), assoc=_ROLE),
    "DeleteStack": _stack(),
    "CreateChangeSet": _create_change_set,
    "ExecuteChangeSet": _stack(action=Action.UPDATE),
    "DeleteChangeSet": _stack(action=Action.UPDATE),
    "UpdateTerminationProtection": _stack(),
    "SetStackPolicy": _stack(),
    "CancelUpdateStack": _stack(),
    "ContinueUpdateRollback": _stack(action=Action.UPDATE),
    "RollbackStack": _stack(action=Action.UPDATE),
    "CreateStackSet": Target(STACK_SET, ("response.stackSetId", _STACK_SET)),
    "UpdateStackSet": _stack_set(),
    "DeleteStackSet": _stack_set(),
    "CreateStackInstances": _stack_set(Action.UPDATE),
    "UpdateStackInstances": _stack_set(),
    "DeleteStackInstances": _stack_set(Action.UPDATE),
    "StopStackSetOperation": _stack_set(),
}

FAMILY = Family(
    name="cloudformation",
    sources=("cloudformation.amazonaws.com",),
    kinds=(STACK, STACK_SET),
    rules=_RULES,
    # a resource's signal reports progress of a stack operation, not a change of the stack
    ignore=frozenset({"SignalResource"}),
)
