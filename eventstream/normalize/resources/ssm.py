"""Systems Manager: parameters, documents, associations, and managed instances.

`PutParameter` creates or overwrites, and the request alone cannot tell which: the response's
`version` does (1 = the parameter is new, a create; anything else, or no response, an update).
Parameter names `/a/b` and their ARN `parameter/a/b` give the same id `a/b`; labels are parts of
the parameter.

The SSM agent on an instance reports its state (`UpdateInstanceInformation`, `PutInventory`,
`PutComplianceItems`, `UpdateInstanceAssociationStatus`): these are updates of the
`AWS::SSM::ManagedInstance` (SSM's record of the instance, `i-...` for an EC2 instance, `mi-...`
for a hybrid machine), associated with the EC2 instance when it is one. They change SSM's view
of the machine, not the EC2 instance's configuration, so the EC2 instance gets no event. Only
`mi-` is registered as an id prefix: `i-` belongs to EC2. Running commands, automations and
sessions changes no asset.
"""

from __future__ import annotations

from typing import Any

from eventstream.models.event import Action
from eventstream.normalize.context import Call, Touch
from eventstream.normalize.naming import Kind
from eventstream.normalize.resources.iam import ROLE
from eventstream.normalize.rules import Assoc, Family, Rule, Target
from eventstream.normalize.targets import apply_rule


def _parameter_id(value: str) -> str:
    return value.lstrip("/")


PARAMETER = Kind(
    type="AWS::SSM::Parameter",
    service="ssm",
    slug="parameter",
    arn_resource="parameter",
    from_arn=_parameter_id,
    canonical=_parameter_id,
    arn_template="arn:aws:ssm:{region}:{account}:parameter/{id}",
)
DOCUMENT = Kind(
    type="AWS::SSM::Document",
    service="ssm",
    slug="document",
    arn_resource="document",
    arn_template="arn:aws:ssm:{region}:{account}:document/{id}",
)
MANAGED_INSTANCE = Kind(
    type="AWS::SSM::ManagedInstance",
    service="ssm",
    slug="managed-instance",
    arn_resource="managed-instance",
    id_prefix="mi-",
)
ASSOCIATION = Kind(
    type="AWS::SSM::Association",
    service="ssm",
    slug="association",
    arn_resource="association",
    arn_template="arn:aws:ssm:{region}:{account}:association/{id}",
)
MAINTENANCE_WINDOW = Kind(
    type="AWS::SSM::MaintenanceWindow",
    service="ssm",
    slug="maintenance-window",
    arn_resource="maintenancewindow",
    id_prefix="mw-",
    arn_template="arn:aws:ssm:{region}:{account}:maintenancewindow/{id}",
)

_TAGGABLE = {
    "Parameter": PARAMETER,
    "Document": DOCUMENT,
    "ManagedInstance": MANAGED_INSTANCE,
    "MaintenanceWindow": MAINTENANCE_WINDOW,
    "Association": ASSOCIATION,
}


def _agent_report(path: str, *, assoc: tuple[Assoc, ...] = ()) -> Target:
    """An update of the managed instance; `i-` ids also name the EC2 instance (kind by prefix:
    an `mi-` id resolves to the managed instance itself, which is never its own association)."""
    return Target(
        MANAGED_INSTANCE,
        path,
        action=Action.UPDATE,
        assoc=(Assoc("Is managed EC2 Instance", None, path), *assoc),
    )


def _window(path: str = "request.windowId") -> Target:
    """Targets and tasks registered with a maintenance window are parts of it."""
    return Target(MAINTENANCE_WINDOW, path, action=Action.UPDATE)


_PARAMETER_CREATED = Target(PARAMETER, "request.name", action=Action.CREATE)
_PARAMETER_UPDATED = Target(PARAMETER, "request.name", action=Action.UPDATE)


def _put_parameter(call: Call) -> list[Touch]:
    """Version 1 in the response means the parameter was created; anything else overwrote it."""
    version: Any = call.roots["response"].get("version")
    created = version in (1, "1")
    return apply_rule(_PARAMETER_CREATED if created else _PARAMETER_UPDATED, call)


_TAGGED = {
    name: Target(kind, "request.resourceId", action=Action.UPDATE)
    for name, kind in _TAGGABLE.items()
}


def _tags(call: Call) -> list[Touch]:
    """`AddTagsToResource`/`RemoveTagsFromResource` name the resource by type and id."""
    target = _TAGGED.get(str(call.roots["request"].get("resourceType")))
    if target is None:
        return []
    return apply_rule(target, call)


_RULES: dict[str, Rule] = {
    "PutParameter": _put_parameter,
    "DeleteParameter": Target(PARAMETER, "request.name"),
    "DeleteParameters": Target(PARAMETER, ("response.deletedParameters[]", "request.names[]")),
    "LabelParameterVersion": Target(PARAMETER, "request.name", action=Action.UPDATE),
    "UnlabelParameterVersion": Target(PARAMETER, "request.name", action=Action.UPDATE),
    "AddTagsToResource": _tags,
    "RemoveTagsFromResource": _tags,
    "CreateDocument": Target(
        DOCUMENT,
        ("response.documentDescription.name", "request.name"),
        config="response.documentDescription",
    ),
    "UpdateDocument": Target(DOCUMENT, "request.name", config="response.documentDescription"),
    "UpdateDocumentDefaultVersion": Target(DOCUMENT, "request.name"),
    "UpdateDocumentMetadata": Target(DOCUMENT, "request.name"),
    "ModifyDocumentPermission": Target(DOCUMENT, "request.name"),
    "DeleteDocument": Target(DOCUMENT, "request.name"),
    "CreateAssociation": Target(
        ASSOCIATION,
        "response.associationDescription.associationId",
        config="response.associationDescription",
        assoc=(Assoc("Runs Document", DOCUMENT, "response.associationDescription.name"),),
    ),
    "UpdateAssociation": Target(ASSOCIATION, "request.associationId"),
    "DeleteAssociation": Target(ASSOCIATION, "request.associationId"),
    "UpdateInstanceInformation": _agent_report("request.instanceId"),
    "UpdateInstanceAssociationStatus": _agent_report(
        "request.instanceId",
        assoc=(Assoc("Runs Association", ASSOCIATION, "request.associationId"),),
    ),
    "PutInventory": _agent_report("request.instanceId"),
    "PutComplianceItems": _agent_report("request.resourceId"),
    "DeregisterManagedInstance": Target(MANAGED_INSTANCE, "request.instanceId"),
    "UpdateManagedInstanceRole": Target(
        MANAGED_INSTANCE,
        "request.instanceId",
        assoc=(Assoc("Assumes Role", ROLE, "request.iamRole"),),
    ),
    "CreateMaintenanceWindow": Target(MAINTENANCE_WINDOW, "response.windowId"),
    "UpdateMaintenanceWindow": _window(),
    "DeleteMaintenanceWindow": Target(MAINTENANCE_WINDOW, "request.windowId"),
    "RegisterTargetWithMaintenanceWindow": _window(),
    "RegisterTaskWithMaintenanceWindow": _window(),
    "UpdateMaintenanceWindowTarget": _window(),
    "UpdateMaintenanceWindowTask": _window(),
    "DeregisterTargetFromMaintenanceWindow": _window(),
    "DeregisterTaskFromMaintenanceWindow": _window(),
}

FAMILY = Family(
    name="ssm",
    sources=("ssm.amazonaws.com",),
    kinds=(PARAMETER, DOCUMENT, MANAGED_INSTANCE, ASSOCIATION, MAINTENANCE_WINDOW),
    rules=_RULES,
    ignore=frozenset(
        {
            "SendCommand",
            "CancelCommand",
            "StartSession",
            "ResumeSession",
            "TerminateSession",
            "StartAutomationExecution",
            "StopAutomationExecution",
            "SendAutomationSignal",
            "StartChangeRequestExecution",
            "StartAssociationsOnce",
        }
    ),
)
